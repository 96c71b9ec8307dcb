// Package testkg generates knowledge graphs for tests and benchmarks: typed
// entities and relations among them with a realistic, skewed degree
// distribution, each quad labelled with one of a number of sources.
package testkg
