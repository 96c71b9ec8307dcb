// Package config holds threatgraph's configuration: a typed Config with
// defaults, loaded through viper with the precedence flags > THREATGRAPH_*
// environment > threatgraph.yaml > defaults. Only cmd and config import
// viper; other packages receive plain values.
package config
