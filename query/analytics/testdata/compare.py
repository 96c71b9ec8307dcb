#!/usr/bin/python3
"""Time igraph and NetworkX on the analytics benchmark graphs.

    mkdir -p /tmp/kgbench
    go test ./query/analytics/ -run TestWriteBenchGraphs -args -out /tmp/kgbench
    /usr/bin/python3 query/analytics/testdata/compare.py /tmp/kgbench [--skip-slow]

It loads the graphs that the Go benchmarks use (same generator, same seed,
same BFS sources and path pairs) and prints one line per operation with the
best wall time over a few runs, in seconds. Loading the file is not timed;
'build' times the constructor from an in-memory integer edge list.

Operations mirror the Go benchmarks: PageRank (directed, parallel edges
count, NetworkX default tolerance / igraph PRPACK), BFS from 100 sources
in the undirected reading, exact betweenness at 20k and 200 sampled pivots,
closeness and harmonic centrality at 20k, Yen k=5 for 20 pairs on the
simple undirected graph, HITS and eigenvector centrality.
NetworkX runs that would take more than minutes are timed on a subset of
sources and scaled up ("extrapolated" in the output); python-igraph 0.10.2
cannot sample betweenness sources, so that row has no igraph figure.
"""
import itertools
import json
import os
import random
import sys
import time
import warnings

import igraph
import networkx as nx

warnings.simplefilter("ignore")


def best(fn, runs=3, budget=60.0):
    """Best wall time of fn over up to runs runs within budget seconds."""
    times = []
    start = time.perf_counter()
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if time.perf_counter() - start > budget:
            break
    return min(times)


def load(d, name):
    with open(os.path.join(d, name + ".edges")) as f:
        n, m = map(int, f.readline().split())
        edges = []
        for line in f:
            u, v, _, _ = line.split()
            edges.append((int(u), int(v)))
    with open(os.path.join(d, name + ".queries.json")) as f:
        q = json.load(f)
    return n, edges, q


def report(size, op, tool, secs, note=""):
    print("%-5s %-22s %-9s %10.4f %s" % (size, op, tool, secs, note), flush=True)


def run(d, size, skip_slow):
    n, edges, q = load(d, "kg" + size)
    report(size, "build", "igraph", best(lambda: igraph.Graph(n=n, edges=edges, directed=True)))
    g = igraph.Graph(n=n, edges=edges, directed=True)
    u = g.as_undirected(mode="collapse")  # simple undirected reading
    big = n > 50000

    def nxbuild():
        G = nx.MultiDiGraph()
        G.add_nodes_from(range(n))
        G.add_edges_from(edges)
        return G
    report(size, "build", "networkx", best(nxbuild, runs=1))
    G = nxbuild()
    S = nx.Graph(G)  # simple undirected reading

    report(size, "pagerank", "igraph", best(lambda: g.pagerank(damping=0.85, directed=True)))
    report(size, "pagerank", "networkx", best(lambda: nx.pagerank(G, alpha=0.85), runs=1))

    srcs = q["bfs_sources"]
    report(size, "bfs100", "igraph", best(lambda: [g.bfs(s, mode="all") for s in srcs]))
    report(size, "bfs100", "networkx", best(lambda: [nx.single_source_shortest_path_length(S, s) for s in srcs], runs=1))

    k = q["sample_k"]
    if not big:
        report(size, "betweenness", "igraph", best(lambda: u.betweenness(directed=False), runs=1, budget=0))
        t = best(lambda: nx.betweenness_centrality(S, k=k, seed=1, normalized=False), runs=1)
        report(size, "betweenness", "networkx", t * n / k, "extrapolated from %d sources" % k)
    report(size, "betweenness_s%d" % k, "networkx", best(lambda: nx.betweenness_centrality(S, k=k, seed=1, normalized=False), runs=1))

    if not big:
        report(size, "closeness", "igraph", best(lambda: u.closeness(mode="all"), runs=1, budget=0))
        report(size, "harmonic", "igraph", best(lambda: u.harmonic_centrality(mode="all"), runs=1, budget=0))
        sub = list(range(0, n, n // 200))
        t = best(lambda: [nx.single_source_shortest_path_length(S, s) for s in sub], runs=1)
        report(size, "closeness", "networkx", t * n / len(sub), "extrapolated from %d BFS" % len(sub))

    pairs = q["pairs"]
    K = q["k"]
    report(size, "yen_k5_20pairs", "igraph", best(lambda: [u.get_k_shortest_paths(s, to=t, k=K, mode="all") for s, t in pairs], runs=2))
    if not skip_slow or not big:
        report(size, "yen_k5_20pairs", "networkx",
               best(lambda: [list(itertools.islice(nx.shortest_simple_paths(S, s, t), K)) for s, t in pairs], runs=1))

    report(size, "hits", "igraph", best(lambda: (g.hub_score(), g.authority_score())))
    report(size, "hits", "networkx", best(lambda: nx.hits(nx.DiGraph(G)), runs=1))
    report(size, "eigenvector", "igraph", best(lambda: u.eigenvector_centrality(directed=False)))
    report(size, "eigenvector", "networkx", best(lambda: nx.eigenvector_centrality(S, max_iter=1000), runs=1))


if __name__ == "__main__":
    d = sys.argv[1]
    skip = "--skip-slow" in sys.argv
    print("igraph %s networkx %s" % (igraph.__version__, nx.__version__))
    for size in ("20k", "200k"):
        run(d, size, skip)
