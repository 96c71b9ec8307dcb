package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// Config is the whole configuration.
type Config struct {
	Store  Store  `mapstructure:"store" json:"store" yaml:"store"`
	Log    Log    `mapstructure:"log" json:"log" yaml:"log"`
	Format string `mapstructure:"format" json:"format" yaml:"format"` // table, json or csv
	Serve  Serve  `mapstructure:"serve" json:"serve" yaml:"serve"`
}

// Serve configures the HTTP server (threatgraph serve) and the raw query
// limits that the server and threatgraph query share.
type Serve struct {
	Addr         string        `mapstructure:"addr" json:"addr" yaml:"addr"`                            // host:port to listen on
	Token        Secret        `mapstructure:"token" json:"token" yaml:"token"`                         // bearer token for POST /v1/ingest; empty: read-only
	BodyLimit    int64         `mapstructure:"body_limit" json:"body_limit" yaml:"body_limit"`          // largest request body, bytes
	ReadTimeout  time.Duration `mapstructure:"read_timeout" json:"read_timeout" yaml:"read_timeout"`    // reading a whole request
	WriteTimeout time.Duration `mapstructure:"write_timeout" json:"write_timeout" yaml:"write_timeout"` // from the end of the headers to the end of the response
	IdleTimeout  time.Duration `mapstructure:"idle_timeout" json:"idle_timeout" yaml:"idle_timeout"`    // keep-alive connections
	QueryTimeout time.Duration `mapstructure:"query_timeout" json:"query_timeout" yaml:"query_timeout"` // raw Gizmo/GraphQL query time limit
	QueryLimit   int           `mapstructure:"query_limit" json:"query_limit" yaml:"query_limit"`       // raw query result cap (rows)
	QueryMemory  int64         `mapstructure:"query_memory" json:"query_memory" yaml:"query_memory"`    // how far the heap may grow while a raw query runs, bytes
	CacheBytes   int64         `mapstructure:"cache_bytes" json:"cache_bytes" yaml:"cache_bytes"`       // cache of encoded GET answers, bytes (LRU; 0: none)
	MemoBytes    int64         `mapstructure:"memo_bytes" json:"memo_bytes" yaml:"memo_bytes"`          // centrality memo, bytes of encoded answers (LRU; 0: none)

	// QueryAtOnce is how many raw queries the server runs at once
	// (serve.query_concurrency); 0 turns raw queries off.
	QueryAtOnce int `mapstructure:"query_concurrency" json:"query_concurrency" yaml:"query_concurrency"`
	// AnalyticsAtOnce is how many expensive analytics computations run at
	// once (serve.analytics_concurrency); AnalyticsTimeout stops each
	// (serve.analytics_timeout).
	AnalyticsAtOnce  int           `mapstructure:"analytics_concurrency" json:"analytics_concurrency" yaml:"analytics_concurrency"`
	AnalyticsTimeout time.Duration `mapstructure:"analytics_timeout" json:"analytics_timeout" yaml:"analytics_timeout"`
}

// A Secret is a string that prints as "<redacted>" when set, so that
// `threatgraph config` does not show the write token.
type Secret string

func (s Secret) redacted() string {
	if s == "" {
		return ""
	}
	return "<redacted>"
}

// MarshalJSON hides the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.redacted() + `"`), nil }

// MarshalYAML hides the secret.
func (s Secret) MarshalYAML() (any, error) { return s.redacted(), nil }

// String hides the secret.
func (s Secret) String() string { return s.redacted() }

// Store selects and tunes the quad store.
type Store struct {
	Backend string `mapstructure:"backend" json:"backend" yaml:"backend"` // bbolt, leveldb, memstore or postgres
	Path    string `mapstructure:"path" json:"path" yaml:"path"`          // directory (bolt) or connection string (postgres)
	NoSync  bool   `mapstructure:"nosync" json:"nosync" yaml:"nosync"`    // bbolt: skip fsync per commit (a power loss may corrupt the store; a killed process loses nothing committed)
}

// Log sets the logger.
type Log struct {
	Level string `mapstructure:"level" json:"level" yaml:"level"` // debug, info, warn, error
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Store:  Store{Backend: "bbolt", Path: "./threatgraph.db"},
		Log:    Log{Level: "warn"},
		Format: "table",
		Serve: Serve{
			Addr:         "127.0.0.1:8080",
			BodyLimit:    32 << 20,
			ReadTimeout:  30 * time.Second,
			WriteTimeout: 60 * time.Second,
			IdleTimeout:  120 * time.Second,
			QueryTimeout: 5 * time.Second,
			QueryLimit:   10_000,
			QueryMemory:  256 << 20,
			QueryAtOnce:  2,
			// analytics limits
			AnalyticsAtOnce:  2,
			AnalyticsTimeout: 30 * time.Second,
			CacheBytes:       64 << 20,
			MemoBytes:        32 << 20,
		},
	}
}

// Keys lists every configuration key, for defaults and environment binding.
func Keys() []string {
	return []string{"store.backend", "store.path", "store.nosync", "log.level", "format",
		"serve.addr", "serve.token", "serve.body_limit", "serve.read_timeout", "serve.write_timeout",
		"serve.idle_timeout", "serve.query_timeout", "serve.query_limit", "serve.cache_bytes", "serve.memo_bytes", "serve.query_memory", "serve.query_concurrency",
		"serve.analytics_concurrency", "serve.analytics_timeout"}
}

// Load reads the configuration from v (with flags already bound by the
// caller), the environment and file. An empty file looks for
// threatgraph.yaml in the working directory and is not an error when absent;
// a named file must exist. Unknown keys in the file are errors.
func Load(v *viper.Viper, file string) (Config, error) {
	d := Default()
	defaults := map[string]any{
		"store.backend": d.Store.Backend, "store.path": d.Store.Path, "store.nosync": d.Store.NoSync,
		"log.level": d.Log.Level, "format": d.Format,
		"serve.addr": d.Serve.Addr, "serve.token": string(d.Serve.Token), "serve.body_limit": d.Serve.BodyLimit,
		"serve.read_timeout": d.Serve.ReadTimeout, "serve.write_timeout": d.Serve.WriteTimeout,
		"serve.idle_timeout": d.Serve.IdleTimeout, "serve.query_timeout": d.Serve.QueryTimeout,
		"serve.query_limit": d.Serve.QueryLimit, "serve.cache_bytes": d.Serve.CacheBytes, "serve.memo_bytes": d.Serve.MemoBytes,
		"serve.query_memory": d.Serve.QueryMemory, "serve.query_concurrency": d.Serve.QueryAtOnce,
		"serve.analytics_concurrency": d.Serve.AnalyticsAtOnce, "serve.analytics_timeout": d.Serve.AnalyticsTimeout,
	}
	for _, k := range Keys() {
		v.SetDefault(k, defaults[k])
	}
	v.SetEnvPrefix("threatgraph")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if file == "" {
		// Look for threatgraph.yaml or .yml only: viper's own search would
		// also take a file named just "threatgraph", such as the binary.
		for _, name := range []string{"threatgraph.yaml", "threatgraph.yml"} {
			if _, err := os.Stat(name); err == nil {
				file = name
				break
			}
		}
	}
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("reading config %s: %w", file, err)
		}
	}
	var cfg Config
	if err := v.UnmarshalExact(&cfg, func(dc *mapstructure.DecoderConfig) { dc.ErrorUnused = true }); err != nil {
		return Config{}, fmt.Errorf("decoding config %s: %w", orDefault(v.ConfigFileUsed()), err)
	}
	return cfg, cfg.Validate()
}

func orDefault(f string) string {
	if f == "" {
		return "threatgraph.yaml"
	}
	return f
}

// A ValidationError names the key, the value and what was expected.
type ValidationError struct {
	Key   string
	Value any
	Want  string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("config %s = %v: expected %s", e.Key, e.Value, e.Want)
}

// Validate reports every invalid value.
func (c Config) Validate() error {
	var errs []error
	if !slices.Contains([]string{"bbolt", "leveldb", "memstore", "postgres"}, c.Store.Backend) {
		errs = append(errs, &ValidationError{"store.backend", c.Store.Backend, "bbolt, leveldb, memstore or postgres"})
	}
	if c.Store.Backend != "memstore" && strings.TrimSpace(c.Store.Path) == "" {
		errs = append(errs, &ValidationError{"store.path", c.Store.Path, "a directory (bolt) or a connection string (postgres)"})
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		errs = append(errs, &ValidationError{"log.level", c.Log.Level, "debug, info, warn or error"})
	}
	if !slices.Contains([]string{"table", "json", "csv"}, c.Format) {
		errs = append(errs, &ValidationError{"format", c.Format, "table, json or csv"})
	}
	return errors.Join(append(errs, c.Serve.validate()...)...)
}

func (s Serve) validate() []error {
	var errs []error
	if _, port, err := net.SplitHostPort(s.Addr); err != nil || port == "" {
		errs = append(errs, &ValidationError{"serve.addr", s.Addr, "host:port, e.g. 127.0.0.1:8080"})
	}
	if t := string(s.Token); t != "" && (len(t) < 16 || strings.ContainsAny(t, " \t\r\n")) {
		errs = append(errs, &ValidationError{"serve.token", s.Token, "empty (read-only) or at least 16 characters without spaces"})
	}
	if s.BodyLimit <= 0 {
		errs = append(errs, &ValidationError{"serve.body_limit", s.BodyLimit, "a positive number of bytes"})
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"serve.read_timeout", s.ReadTimeout}, {"serve.write_timeout", s.WriteTimeout}, {"serve.idle_timeout", s.IdleTimeout}, {"serve.query_timeout", s.QueryTimeout}, {"serve.analytics_timeout", s.AnalyticsTimeout}} {
		if d.v <= 0 {
			errs = append(errs, &ValidationError{d.key, d.v, "a positive duration (e.g. 5s, 2m)"})
		}
	}
	if s.QueryTimeout > 0 && s.WriteTimeout > 0 && s.QueryTimeout >= s.WriteTimeout {
		errs = append(errs, &ValidationError{"serve.query_timeout", s.QueryTimeout, fmt.Sprintf("less than serve.write_timeout (%v), or the connection closes before the timeout is reported", s.WriteTimeout)})
	}
	if s.QueryLimit <= 0 {
		errs = append(errs, &ValidationError{"serve.query_limit", s.QueryLimit, "a positive number of rows"})
	}
	if s.QueryMemory < 16<<20 {
		errs = append(errs, &ValidationError{"serve.query_memory", s.QueryMemory, "a number of bytes, at least 16 MiB (16777216)"})
	}
	if s.AnalyticsAtOnce <= 0 {
		errs = append(errs, &ValidationError{"serve.analytics_concurrency", s.AnalyticsAtOnce, "a positive number of computations"})
	}
	if s.QueryAtOnce < 0 {
		errs = append(errs, &ValidationError{"serve.query_concurrency", s.QueryAtOnce, "a number of queries, 0 or more (0: raw queries turned off)"})
	}
	if s.CacheBytes < 0 {
		errs = append(errs, &ValidationError{"serve.cache_bytes", s.CacheBytes, "a number of bytes, 0 or more (0: no answer cache)"})
	}
	if s.MemoBytes < 0 {
		errs = append(errs, &ValidationError{"serve.memo_bytes", s.MemoBytes, "a number of bytes, 0 or more (0: no centrality memo)"})
	}
	return errs
}
