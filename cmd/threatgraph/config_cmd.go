package main

import (
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

func newConfigCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration (flags > THREATGRAPH_* > threatgraph.yaml > defaults)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.cfg.Format == "json" {
				return a.json(map[string]any{"config_file": a.v.ConfigFileUsed(), "config": a.cfg})
			}
			if f := a.v.ConfigFileUsed(); f != "" {
				a.printf("# from %s, the environment and flags\n", f)
			} else {
				a.printf("# no config file; defaults, the environment and flags\n")
			}
			b, err := yaml.Marshal(a.cfg)
			if err != nil {
				return err
			}
			_, err = a.out.Write(b)
			return err
		},
	}
}
