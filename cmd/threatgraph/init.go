package main

import (
	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
)

func newInitCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create an empty store (other commands create it on first use too)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(s *graph.Store) error {
				n, err := s.Count(cmd.Context())
				if err != nil {
					return err
				}
				a.printf("store %s (%s) ready: %d quads\n", s.Path(), s.Backend(), n)
				return nil
			})
		},
	}
}
