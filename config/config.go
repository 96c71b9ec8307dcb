package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// Config is the whole configuration.
type Config struct {
	Store  Store  `mapstructure:"store" json:"store" yaml:"store"`
	Log    Log    `mapstructure:"log" json:"log" yaml:"log"`
	Format string `mapstructure:"format" json:"format" yaml:"format"` // table, json or csv
}

// Store selects and tunes the quad store.
type Store struct {
	Backend string `mapstructure:"backend" json:"backend" yaml:"backend"` // bbolt, bolt, leveldb, memstore or postgres
	Path    string `mapstructure:"path" json:"path" yaml:"path"`          // directory (bolt) or connection string (postgres)
	NoSync  bool   `mapstructure:"nosync" json:"nosync" yaml:"nosync"`    // bolt: skip fsync per commit
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
	}
}

// Keys lists every configuration key, for defaults and environment binding.
func Keys() []string {
	return []string{"store.backend", "store.path", "store.nosync", "log.level", "format"}
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
	if !slices.Contains([]string{"bbolt", "bolt", "leveldb", "memstore", "postgres"}, c.Store.Backend) {
		errs = append(errs, &ValidationError{"store.backend", c.Store.Backend, "bbolt, bolt, leveldb, memstore or postgres"})
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
	return errors.Join(errs...)
}
