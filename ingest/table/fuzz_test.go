package table_test

import (
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/ingest/table"
)

// FuzzImport: no table panics the importer with either shipped mapping,
// every table gives records or a problem, and every problem names the
// table (or, for the mapping, the mapping) and a row (go test -fuzz
// FuzzImport ./ingest/table).
func FuzzImport(f *testing.F) {
	f.Add("acled", []byte("event_id_cnty,event_date,year,time_precision,event_type,actor1,country,location,latitude,longitude,source,fatalities\nAFG1,2024-03-22,2024,1,Explosions/Remote violence,Islamic State,Afghanistan,Kabul,34.5,69.2,Reuters,12\n"))
	f.Add("gtd", []byte("eventid,iyear,imonth,iday\n201401010001,2014,0,0\n"))
	f.Add("gtd", []byte("\"unterminated\n"))
	f.Add("acled", []byte(""))
	f.Fuzz(func(t *testing.T, mapping string, data []byte) {
		if mapping != "gtd" && mapping != "acled" {
			return
		}
		m, err := table.Open(mapping)
		if err != nil {
			t.Fatal(err)
		}
		file := table.New(m).Import(t.Context(), "fuzz.csv", data)
		if len(file.Records) == 0 && len(file.FileErrs) == 0 {
			t.Fatal("no record and no problem")
		}
		for _, e := range file.Errors() {
			if !strings.HasPrefix(e.Error(), "fuzz.csv:") && !strings.HasPrefix(e.Error(), table.ShippedName(mapping)+":") {
				t.Fatalf("a problem without its file: %v", e)
			}
		}
	})
}
