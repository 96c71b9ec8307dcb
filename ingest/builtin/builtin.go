// Package builtin holds the built-in dataset: the facts of six news articles
// of 25 March 2024 about ISIS-K and the Crocus City Hall attack, in the native
// format, embedded in the binary. `threatgraph demo` loads it; the files are
// also the native format's showcase (docs/format.md) and are described in
// docs/dataset.md.
package builtin

import (
	"embed"
	"io/fs"
	"path"
	"sort"
)

//go:embed data/*.yaml
var data embed.FS

// A File is one file of the dataset.
type File struct {
	Name string // "builtin/groups.yaml"
	Data []byte
}

// Files returns the dataset's files in name order.
func Files() ([]File, error) {
	names, err := fs.Glob(data, "data/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]File, 0, len(names))
	for _, n := range names {
		b, err := data.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: "builtin/" + path.Base(n), Data: b})
	}
	return out, nil
}
