"""Benchmark for walking-network accessibility (issue 3). Not a test: prints timings and targets.

Run: ``.venv/bin/python bench/bench_network.py [--demand 20000] [--sites 40] [--candidates 1000]``

Uses Oslo's cached walking network when one is present (``geo.network.load_walk_network``);
otherwise a SYNTHETIC city-sized street grid (400 × 400 nodes, 50 m spacing = 160 000 nodes,
20 × 20 km) with 16 synthetic "bydel" blocks — stated as such in the output.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import network as gn
from geo import settings


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[Any, float, float]:
    """Return (last result, best seconds, median seconds)."""
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, min(times), float(np.median(times))


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER TARGET"


def synthetic_bydeler(net: gn.WalkNetwork) -> Any:
    import geopandas as gpd
    import shapely

    from geo.names import BYDEL_CODES

    codes = list(BYDEL_CODES)[:16]
    minx, maxx, miny, maxy = net.x.min(), net.x.max(), net.y.min(), net.y.max()
    wx, wy = (maxx - minx) / 4 + 1e-6, (maxy - miny) / 4 + 1e-6
    boxes = [
        shapely.box(
            minx - 1 + c * wx, miny - 1 + r * wy, minx - 1 + (c + 1) * wx, miny - 1 + (r + 1) * wy
        )
        for r in range(4)
        for c in range(4)
    ]
    return gpd.GeoDataFrame(
        {"bydel_code": codes, "bydel": [f"Syntetisk blokk {k + 1}" for k in range(16)]},
        geometry=boxes,
        crs=settings.ANALYSIS_CRS,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demand", type=int, default=20_000)
    parser.add_argument("--sites", type=int, default=40)
    parser.add_argument("--candidates", type=int, default=1_000)
    parser.add_argument("--threshold", type=float, default=500.0)
    parser.add_argument(
        "--grid", type=int, default=400, help="grid side (nodes) for the synthetic graph"
    )
    parser.add_argument("--skip-networkx", action="store_true")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(20261125)

    import geopandas as gpd

    print("== Walking-network benchmark (geo.network / geo.whatif) ==")
    print(f"Machine: {__import__('os').cpu_count()} CPU(s); Python {sys.version.split()[0]}")

    # ---------------------------------------------------------------- graph
    t = time.perf_counter()
    net = gn.load_walk_network()
    oslo = net is not None
    if net is None:
        net = gn.grid_network(args.grid, args.grid, spacing_m=50.0, origin=(590_000.0, 6_635_000.0))
        graph_label = (
            f"SYNTHETIC city-sized grid ({args.grid} × {args.grid} nodes, 50 m spacing; "
            "no Oslo network cache on this machine)"
        )
    else:
        graph_label = f"Oslo walking network from cache ({net.source})"
    build_s = time.perf_counter() - t
    print(f"Graph: {graph_label}")
    print(
        f"  nodes {net.n_nodes:,}, undirected edges {net.n_edges:,} (built/loaded in {build_s:.2f} s)"
    )

    # ---------------------------------------------------------------- cache write / load
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "network" / gn.CACHE_NAME
        _, write_s, _ = timed(lambda: net.save(path))
        size_mb = path.stat().st_size / 2**20

        def load_ready() -> gn.WalkNetwork:
            loaded = gn.WalkNetwork.load(path)
            _ = loaded.csr, loaded.tree  # what the first query needs
            return loaded

        _, load_s, _ = timed(load_ready, repeat=3)
    print(
        f"Cache (.npz, {size_mb:.1f} MB): write {write_s:.2f} s; load + CSR + KD-tree {load_s:.2f} s "
        f"(target < 3 s: {verdict(load_s < 3)})"
    )

    # ---------------------------------------------------------------- demand, sites
    minx, maxx, miny, maxy = net.x.min(), net.x.max(), net.y.min(), net.y.max()
    if oslo:
        # points on the network's own nodes (jittered), so they fall where people can walk
        pick = rng.choice(net.n_nodes, args.demand)
        demand_xy = net.xy[pick] + rng.normal(0, 20, (args.demand, 2))
        site_xy = net.xy[rng.choice(net.n_nodes, args.sites)]
        cand_xy = net.xy[rng.choice(net.n_nodes, args.candidates)]
    else:
        demand_xy = np.c_[
            rng.uniform(minx, maxx, args.demand), rng.uniform(miny, maxy, args.demand)
        ]
        site_xy = np.c_[rng.uniform(minx, maxx, args.sites), rng.uniform(miny, maxy, args.sites)]
        cand_xy = np.c_[
            rng.uniform(minx, maxx, args.candidates), rng.uniform(miny, maxy, args.candidates)
        ]
    print(
        f"Demand points: {args.demand:,} (random, seeded); sites: {args.sites}; candidates: {args.candidates:,}"
    )

    # ---------------------------------------------------------------- nearest distances
    engine, snap_s, _ = timed(lambda: gn.NetworkEngine(net, demand_xy))
    (ours, _idx), ours_s, ours_med = timed(lambda: engine.nearest_with_index(site_xy), repeat=3)
    print(
        f"Nearest-site distance, all demand points: {ours_s * 1e3:.1f} ms "
        f"(median of 3: {ours_med * 1e3:.1f} ms; snapping demand once: {snap_s * 1e3:.1f} ms)"
    )

    if not args.skip_networkx:
        import networkx as nx

        t = time.perf_counter()
        G = nx.Graph()
        G.add_weighted_edges_from(
            zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist(), strict=True),
            weight="length",
        )
        G.add_nodes_from(range(net.n_nodes))
        site_snap = engine.snap_sites(site_xy)
        virtual = []
        for k in range(len(site_xy)):  # same start offsets as ours: one virtual node per site
            G.add_edge(("site", k), int(site_snap.node[k]), length=float(site_snap.snap_m[k]))
            virtual.append(("site", k))
        nx_build_s = time.perf_counter() - t

        def nx_nearest() -> np.ndarray:
            dist, _paths = nx.multi_source_dijkstra(G, virtual, weight="length")
            node_dist = np.full(net.n_nodes, np.inf)
            keys = np.fromiter((k for k in dist if not isinstance(k, tuple)), dtype=np.int64)
            node_dist[keys] = [dist[int(k)] for k in keys]
            out = engine.demand_snap_m + node_dist[engine.demand_node]
            out[~engine.demand_on_network] = np.inf
            return out

        base, nx_s, _ = timed(nx_nearest)
        same = np.allclose(base, ours, rtol=1e-9, atol=1e-6, equal_nan=True)
        ratio = nx_s / ours_s
        print(
            f"networkx baseline (nx.multi_source_dijkstra, same graph, same snapping): {nx_s * 1e3:.0f} ms "
            f"(+ {nx_build_s:.1f} s to build the nx graph)"
        )
        print(
            f"  speed-up ours vs networkx: {ratio:.1f}× (target ≥ 10×: {verdict(ratio >= 10)}); "
            f"identical distances: {same}"
        )
        del G

    # ---------------------------------------------------------------- what-if
    from geo.analysis.whatif import WhatIf
    from geo.names import BYDEL_CODES

    if oslo:
        from geo.data.boundaries import assign_bydel, load_bydeler

        bydeler = load_bydeler()
        points = gpd.GeoSeries(
            gpd.points_from_xy(demand_xy[:, 0], demand_xy[:, 1]), crs=settings.ANALYSIS_CRS
        )
        codes = assign_bydel(points, bydeler).fillna("030116").to_numpy()
        bydel_note = "real bydeler"
    else:
        bydeler = synthetic_bydeler(net)
        col = np.clip(((demand_xy[:, 0] - minx) / ((maxx - minx) / 4 + 1e-6)).astype(int), 0, 3)
        row = np.clip(((demand_xy[:, 1] - miny) / ((maxy - miny) / 4 + 1e-6)).astype(int), 0, 3)
        codes = np.array(list(BYDEL_CODES)[:16])[row * 4 + col]
        bydel_note = "16 synthetic bydel blocks (4 × 4)"
    demand = gpd.GeoDataFrame(
        {
            "demand_id": np.arange(len(demand_xy)),
            "bydel_code": codes,
            "weight": rng.integers(1, 60, len(demand_xy)).astype(float),
        },
        geometry=gpd.points_from_xy(demand_xy[:, 0], demand_xy[:, 1]),
        crs=settings.ANALYSIS_CRS,
    )
    services = gpd.GeoDataFrame(
        {
            "id": [f"s{k}" for k in range(len(site_xy))],
            "name": "benchmark site",
            "category": "brukerrom",
        },
        geometry=gpd.points_from_xy(site_xy[:, 0], site_xy[:, 1]),
        crs=settings.ANALYSIS_CRS,
    )
    whatif, base_s, _ = timed(
        lambda: WhatIf(engine, demand, services, bydeler, threshold_m=args.threshold)
    )
    print(f"What-if baseline ({bydel_note}; full distances + metric table): {base_s * 1e3:.0f} ms")

    drops = np.c_[rng.uniform(minx, maxx, 25), rng.uniform(miny, maxy, 25)]
    add_times = []
    for xy in drops:
        t = time.perf_counter()
        whatif.add([xy])
        add_times.append(time.perf_counter() - t)
    add_ms = np.array(add_times) * 1e3
    from geo.analysis.metrics import bydel_metrics

    _, _, table_med = timed(
        lambda: bydel_metrics(demand, whatif.nearest_m, whatif.services, bydeler, args.threshold),
        repeat=5,
    )
    print(
        f"What-if add one site + recompute all bydel metrics + diff: median {np.median(add_ms):.1f} ms, "
        f"max {add_ms.max():.1f} ms over 25 random drops (target ≤ 50 ms: {verdict(np.median(add_ms) <= 50)})"
    )
    print(f"  of which geo.metrics.bydel_metrics alone: median {table_med * 1e3:.1f} ms")
    _, _, rm_med = timed(lambda: whatif.remove([whatif.site_ids[0]]), repeat=5)
    _, _, mv_med = timed(lambda: whatif.move({whatif.site_ids[1]: tuple(drops[0])}), repeat=5)
    print(
        f"What-if remove one site: median {rm_med * 1e3:.1f} ms; move one site: median {mv_med * 1e3:.1f} ms"
    )
    full_check = engine.nearest(np.vstack([site_xy, drops[-1:]]))
    inc = whatif.add(drops[-1:]).nearest_m
    print(
        f"  incremental == full recomputation: {np.allclose(inc, full_check, rtol=1e-9, atol=1e-6)}"
    )

    # ---------------------------------------------------------------- ranking
    coverage, pre_s, _ = timed(lambda: whatif.candidate_coverage(cand_xy))
    ranking, _, rank_med = timed(lambda: whatif.rank_candidates(coverage), repeat=5)
    print(
        f"Rank {args.candidates:,} candidates ({args.threshold:g} m): one-off precomputation {pre_s * 1e3:.0f} ms "
        f"(coverage matrix nnz {coverage.matrix.nnz:,}); ranking median {rank_med * 1e3:.1f} ms "
        f"(target ≤ 100 ms: {verdict(rank_med <= 0.1)})"
    )
    best = ranking.total.iloc[0]
    print(
        f"  best candidate #{ranking.total['candidate_id'].iloc[0]}: +{best['new_weight']:.0f} weight newly within threshold"
    )

    # ---------------------------------------------------------------- isochrones
    _, iso_s, _ = timed(
        lambda: gn.isochrones(net, site_xy[:5], [500.0], minutes=[10, 15]), repeat=1
    )
    print(
        f"Isochrones 5 sites × 3 thresholds (500 m, 10 min, 15 min at 4.5 km/h): {iso_s * 1e3:.0f} ms"
    )

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak memory (max RSS of this process): {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
