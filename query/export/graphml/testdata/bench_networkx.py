#!/usr/bin/env python3
"""Baseline for BenchmarkEncode: time networkx.write_graphml on the same graph.

Builds the graph that exporttest.Generate writes (n nodes, m edges, the same
ids, attributes and values) as a networkx.MultiDiGraph, then times
networkx.write_graphml (lxml writer if available, as NetworkX chooses) to a
file, best of --runs. Building the graph is not timed. Prints one JSON line.

  /usr/bin/python3 testdata/bench_networkx.py --nodes 200000 --edges 1000000
"""
import argparse, json, os, resource, sys, tempfile, time

import networkx as nx

KINDS = ["attack", "claim", "group", "location", "person", "source", "warning"]
PREDS = ["perpetrated", "located_in", "claims", "member_of", "about"]


def build(n, m):
    G = nx.MultiDiGraph()
    nid = lambda i: "n%07d" % i
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        d = {"type": kind, "label": "Node %d" % i}
        if kind == "attack":
            d["killed"] = i % 500
        if kind == "location":
            d["lat"] = float(i % 18000) / 100 - 90
        G.add_node(nid(i), **d)
    for j in range(m):
        s, t = (j * 7919) % n, (j * 104729 + 1) % n
        G.add_edge(nid(s), nid(t), key="e%d" % j, predicate=PREDS[j % len(PREDS)],
                   provenance='["source-s%d"]' % (j % 1000),
                   confidence=float(j % 100) / 100, negated=(j % 17 == 0))
    return G


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    t0 = time.perf_counter()
    G = build(a.nodes, a.edges)
    build_s = time.perf_counter() - t0
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    best = None
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bench.graphml")
        for _ in range(a.runs):
            t0 = time.perf_counter()
            nx.write_graphml(G, path)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        size = os.path.getsize(path)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "networkx": nx.__version__, "python": sys.version.split()[0],
        "nodes": a.nodes, "edges": a.edges, "build_s": round(build_s, 2),
        "write_s": round(best, 3), "bytes": size, "mb_per_s": round(size / best / 1e6, 2),
        "maxrss_mb_after_build": round(rss_before / 1024, 1),
        "maxrss_mb_after_write": round(rss_after / 1024, 1),
    }))


if __name__ == "__main__":
    main()
