#!/usr/bin/python3
"""Write NetworkX golden files for the analytics package tests.

Run with Debian's python3 (python3-networkx, python3-scipy):

    /usr/bin/python3 query/analytics/testdata/golden.py

Each fixture becomes testdata/<name>.golden.json holding the input (nodes
with kinds, edges as [from, to, predicate, sources]) and NetworkX's values
for it. The Go tests build the Graph from the same input, so this script is
the single source of truth. Conventions (see doc.go):

  - path measures (BFS, betweenness, closeness, harmonic, k-shortest paths)
    run on the simple DiGraph/Graph collapse: parallel edges count once;
  - spectral measures run on a DiGraph/Graph whose 'weight' is, per
    Weighting: simple = 1, multi = number of parallel edges, sources = sum
    of the edges' source counts (in both directions for the undirected
    reading).
"""
import itertools
import json
import os
import random
import warnings

import networkx as nx
import numpy

HERE = os.path.dirname(os.path.abspath(__file__))

PR_TOL = 1e-12
EIG_TOL = 1e-12
HITS_TOL = 1e-14
MAX_ITER = 10000


def kg_fixture():
    """A small knowledge graph: parallel edges, a reciprocal pair, a
    self-loop, dangling nodes, a second component and an isolated node."""
    nodes = [
        ("group:isis-k", "Group"), ("group:isis", "Group"), ("group:ttp", "Group"),
        ("person:leader", "Person"), ("person:gunman-1", "Person"), ("person:gunman-2", "Person"),
        ("attack:crocus", "Attack"), ("attack:kerman", "Attack"), ("attack:kabul-airport", "Attack"),
        ("place:moscow", "Location"), ("place:russia", "Location"), ("place:kerman", "Location"),
        ("place:iran", "Location"), ("place:kabul", "Location"), ("place:afghanistan", "Location"),
        ("claim:amaq-crocus", "Claim"), ("claim:amaq-kerman", "Claim"), ("org:amaq", "Organization"),
        ("warning:us-to-russia", "Warning"), ("org:us-gov", "Organization"), ("org:fsb", "Organization"),
        # A second component: a plot with its own suspects.
        ("attack:plot-x", "Attack"), ("person:suspect-a", "Person"), ("person:suspect-b", "Person"),
        ("place:nowhere", "Location"),  # isolated
    ]
    E = [
        ("group:isis-k", "group:isis", "affiliateOf", 3),
        ("group:isis-k", "group:isis", "splinterOf", 1),      # parallel edge
        ("group:isis", "group:isis-k", "affiliateOf", 1),     # reciprocal pair
        ("group:ttp", "group:isis-k", "affiliateOf", 1),
        ("person:leader", "group:isis-k", "leaderOf", 4),
        ("person:leader", "group:isis-k", "memberOf", 2),     # parallel edge
        ("person:gunman-1", "attack:crocus", "suspectIn", 5),
        ("person:gunman-2", "attack:crocus", "suspectIn", 5),
        ("person:gunman-1", "group:isis-k", "memberOf", 1),
        ("attack:crocus", "group:isis-k", "perpetratedBy", 6),
        ("attack:crocus", "place:moscow", "locatedIn", 9),
        ("attack:kerman", "group:isis-k", "perpetratedBy", 4),
        ("attack:kerman", "place:kerman", "locatedIn", 7),
        ("attack:kabul-airport", "group:isis-k", "perpetratedBy", 8),
        ("attack:kabul-airport", "place:kabul", "locatedIn", 8),
        ("place:moscow", "place:russia", "partOf", 2),
        ("place:kerman", "place:iran", "partOf", 2),
        ("place:kabul", "place:afghanistan", "partOf", 2),
        ("place:afghanistan", "place:afghanistan", "partOf", 1),  # self-loop (bad data, but possible)
        ("claim:amaq-crocus", "group:isis-k", "claimant", 2),
        ("claim:amaq-crocus", "attack:crocus", "claims", 3),
        ("claim:amaq-crocus", "org:amaq", "via", 2),
        ("claim:amaq-kerman", "group:isis", "claimant", 1),
        ("claim:amaq-kerman", "attack:kerman", "claims", 2),
        ("claim:amaq-kerman", "org:amaq", "via", 1),
        ("org:amaq", "group:isis", "affiliateOf", 2),
        ("warning:us-to-russia", "org:us-gov", "issuedBy", 3),
        ("warning:us-to-russia", "org:fsb", "issuedTo", 3),
        ("warning:us-to-russia", "place:moscow", "concerns", 2),
        ("warning:us-to-russia", "group:isis-k", "about", 1),
        ("group:isis-k", "place:afghanistan", "locatedIn", 3),
        ("person:suspect-a", "attack:plot-x", "suspectIn", 1),
        ("person:suspect-b", "attack:plot-x", "suspectIn", 2),
        ("person:suspect-a", "person:suspect-b", "memberOf", 1),
        ("person:suspect-b", "person:suspect-a", "memberOf", 1),
    ]
    pairs = [("person:gunman-2", "place:afghanistan", 6), ("warning:us-to-russia", "claim:amaq-kerman", 5),
             ("place:russia", "place:iran", 4), ("person:suspect-a", "attack:crocus", 3)]
    sources = ["group:isis-k", "place:moscow", "person:suspect-a"]
    return nodes, E, pairs, sources


def random_fixture(seed, n, m, parallel):
    rnd = random.Random(seed)
    nodes = [("n:%03d" % i, ["Group", "Person", "Attack"][i % 3]) for i in range(n)]
    E = {}
    preds = ["p0", "p1", "p2"]
    # A random digraph with a strongly connected core (a directed cycle),
    # so eigenvector iterations converge.
    for i in range(n):
        E[("n:%03d" % i, "n:%03d" % ((i + 1) % n), "p0")] = rnd.randint(1, 5)
    while len(E) < m:
        u, v = rnd.randrange(n), rnd.randrange(n)
        if u == v:
            continue
        E[("n:%03d" % u, "n:%03d" % v, rnd.choice(preds))] = rnd.randint(1, 5)
    for _ in range(parallel):
        (u, v, p) = rnd.choice(sorted(E))
        q = [x for x in preds if x != p][0]
        E[(u, v, q)] = rnd.randint(1, 5)
    edges = [(u, v, p, s) for (u, v, p), s in sorted(E.items())]
    pairs = [("n:000", "n:%03d" % (n // 2), 8), ("n:%03d" % (n - 1), "n:007", 5)]
    return nodes, edges, pairs, ["n:000", "n:%03d" % (n // 3)]


def ladder_fixture():
    """A ladder: many equally short paths, to exercise Yen's tie handling."""
    nodes = [("l:%02d" % i, "Location") for i in range(12)]
    edges = []
    for i in range(5):
        edges.append(("l:%02d" % i, "l:%02d" % (i + 1), "partOf", 1))
        edges.append(("l:%02d" % (i + 6), "l:%02d" % (i + 7), "partOf", 1))
    for i in range(6):
        edges.append(("l:%02d" % i, "l:%02d" % (i + 6), "partOf", 2))
    return nodes, edges, [("l:00", "l:11", 10), ("l:03", "l:08", 6)], ["l:00"]


def weighted_views(nodes, edges):
    """Return {(reading, weighting): nx graph} with 'weight' per weighting."""
    views = {}
    for reading, cls in (("directed", nx.DiGraph), ("undirected", nx.Graph)):
        for weighting in ("simple", "multi", "sources"):
            G = cls()
            G.add_nodes_from(k for k, _ in nodes)
            for u, v, _, s in edges:
                w = {"simple": 1, "multi": 1, "sources": s}[weighting]
                if G.has_edge(u, v):
                    if weighting != "simple":
                        G[u][v]["weight"] += w
                else:
                    G.add_edge(u, v, weight=w)
            views[reading, weighting] = G
    return views


def fl(d):
    return {k: float(v) for k, v in d.items()}


def golden(name, nodes, edges, pairs, bfs_sources):
    views = weighted_views(nodes, edges)
    M = nx.MultiDiGraph()
    M.add_nodes_from(k for k, _ in nodes)
    for u, v, p, s in edges:
        M.add_edge(u, v, key=p, weight=s)
    out = {
        "nodes": [list(x) for x in nodes],
        "edges": [list(e) for e in edges],
        "params": {"pagerank_tol": PR_TOL, "eigenvector_tol": EIG_TOL, "hits_tol": HITS_TOL,
                   "max_iter": MAX_ITER, "damping": 0.85},
        "degree": {"in": dict(M.in_degree()), "out": dict(M.out_degree()), "total": dict(M.degree())},
    }
    for reading in ("directed", "undirected"):
        S = views[reading, "simple"]
        r = {
            "betweenness": fl(nx.betweenness_centrality(S, normalized=False)),
            "betweenness_normalized": fl(nx.betweenness_centrality(S, normalized=True)),
            "closeness": fl(nx.closeness_centrality(S)),
            "harmonic": fl(nx.harmonic_centrality(S)),
        }
        for w in ("simple", "multi", "sources"):
            G = views[reading, w]
            try:
                r["eigenvector_" + w] = fl(nx.eigenvector_centrality(
                    G, max_iter=MAX_ITER, tol=EIG_TOL, weight=None if w == "simple" else "weight"))
            except nx.PowerIterationFailedConvergence:
                pass
            if reading == "directed":
                r["pagerank_" + w] = fl(nx.pagerank(G, alpha=0.85, tol=PR_TOL, max_iter=MAX_ITER,
                                                    weight=None if w == "simple" else "weight"))
                # HITS is only defined when the top singular value is
                # simple (the ladder's is not). nx.hits reads the 'weight'
                # attribute; simple weights are 1.
                sv = numpy.linalg.svd(nx.to_numpy_array(G), compute_uv=False)
                if sv[1] < 0.99 * sv[0]:
                    h, a = nx.hits(G, max_iter=MAX_ITER, tol=1e-15)
                    r["hits_hubs_" + w], r["hits_authorities_" + w] = fl(h), fl(a)
        r["bfs"] = {s: nx.single_source_shortest_path_length(S, s) for s in bfs_sources}
        if reading == "directed":
            R = S.reverse()
            r["bfs_in"] = {s: nx.single_source_shortest_path_length(R, s) for s in bfs_sources}
        out[reading] = r
    U = views["undirected", "simple"]
    out["paths"] = []
    for s, t, k in pairs:
        try:
            ps = list(itertools.islice(nx.shortest_simple_paths(U, s, t), k))
        except nx.NetworkXNoPath:
            ps = []
        out["paths"].append({"s": s, "t": t, "k": k, "paths": ps})
    with open(os.path.join(HERE, name + ".golden.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    warnings.simplefilter("ignore", FutureWarning)
    golden("kg", *kg_fixture())
    golden("random", *random_fixture(7, 60, 240, 20))
    golden("ladder", *ladder_fixture())
    print("networkx", nx.__version__)
