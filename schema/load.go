package schema

import "context"

// A LoadInfo describes one load for the store's history: what was read and
// by whom. Ingest fills Files; the caller says how it came (Via) and who.
type LoadInfo struct {
	Via   string     `json:"via"`  // "ingest", "http" or "demo"
	User  string     `json:"user"` // where known, else empty
	Host  string     `json:"host"` // where known, else empty
	Files []LoadFile `json:"files"`
}

// A LoadFile is one file of a load: its name, the sha256 of its bytes (hex)
// and its format ("native" or "nquads").
type LoadFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Format string `json:"format"`
}

type loadKey struct{}

// WithLoad returns ctx carrying info: the load that the store's Write
// called with it records (ingest.Load sets it, so that any wrapper of the
// store's Write passes it on untouched).
func WithLoad(ctx context.Context, info LoadInfo) context.Context {
	return context.WithValue(ctx, loadKey{}, info)
}

// LoadOf returns the load info WithLoad put in ctx.
func LoadOf(ctx context.Context) (LoadInfo, bool) {
	info, ok := ctx.Value(loadKey{}).(LoadInfo)
	return info, ok
}

// A LoadRef names a recorded load that stated a fact, and when it was
// recorded: the provenance of a fact's evidence (show --loads).
type LoadRef struct {
	Load string `json:"load"`           // "load:N"
	Time string `json:"time,omitempty"` // UTC, RFC 3339 to the second; absent for load:0 (before the history)
}
