package table

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

//go:embed mappings/*.yaml
var shipped embed.FS

// Shipped lists the names of the mappings shipped with threatgraph ("acled",
// "gtd"), usable as --mapping NAME; their files are under
// ingest/table/mappings for users to copy and adapt.
func Shipped() []string {
	ents, _ := fs.ReadDir(shipped, "mappings")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// ShippedName is how errors name a shipped mapping, so that the user
// finds the file: "acled (shipped mapping ingest/table/mappings/acled.yaml)".
func ShippedName(name string) string {
	return name + " (shipped mapping ingest/table/mappings/" + name + ".yaml)"
}

// ShippedMapping returns the text of a shipped mapping.
func ShippedMapping(name string) ([]byte, error) {
	data, err := shipped.ReadFile(path.Join("mappings", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("no shipped mapping %q (expected one of %s, or a mapping file)", name, strings.Join(Shipped(), ", "))
	}
	return data, nil
}

// Open reads the mapping named by arg: a file, or else the name of a
// shipped mapping ("gtd", "acled").
func Open(arg string) (*Mapping, error) {
	data, err := os.ReadFile(arg)
	if err == nil {
		return Parse(arg, data)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading mapping %s: %w", arg, err)
	}
	if !strings.ContainsAny(arg, `/\.`) {
		if data, serr := ShippedMapping(arg); serr == nil {
			return Parse(ShippedName(arg), data)
		}
	}
	return nil, fmt.Errorf("mapping %s: no such file, nor a shipped mapping (expected a mapping file or one of %s)", arg, strings.Join(Shipped(), ", "))
}
