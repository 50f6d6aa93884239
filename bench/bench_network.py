"""Benchmark of the walking-network analysis on the real OSM extracts and on a synthetic grid.

Not a test: prints timings (median over repeats) beside the obvious baseline in the same run.

* nearest site for every demand point: ours against networkx ``multi_source_dijkstra`` on the
  same graph and snapping (identical distances checked);
* what-if, add one site (25 random drops): the incremental distances against a full search from
  every site, then the zone metrics and the difference as read; the metric table alone against
  a plain pandas group-by implementation of the same table;
* isochrones, 5 sites × 3 thresholds, against shapely's union of buffered street pieces, and
  again from the cache.

On the real network the demand is the residents as the product places them (SSB's 100 m grid,
9 155 points) and the zones are today's bydeler; the synthetic graph is a 400 × 400 grid
(160 000 nodes, 50 m) with 16 synthetic zone blocks, stated as such in the output.

Run: ``.venv/bin/python bench/bench_network.py [--skip-networkx] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geopandas as gpd
import pandas as pd
import shapely

from geo import network as gn
from geo import settings
from geo.analysis.whatif import WhatIf
from geo.analysis.zone_metrics import ZoneIndex, weighted_quantile, zone_metrics
from geo.data.study import Study
from geo.geom import xy_of


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, float, float]:
    """Return (last result, median seconds, max seconds)."""
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, float(np.median(times)), float(np.max(times))


def pandas_table(demand: pd.DataFrame, nearest: np.ndarray, threshold: float) -> pd.DataFrame:
    """The obvious baseline: the same per-zone columns with a pandas group-by per metric."""
    frame = pd.DataFrame(
        {"zone": demand["zone_code"].to_numpy(), "w": demand["weight"].to_numpy(), "d": nearest}
    )
    frame["within"] = np.where(frame["d"] <= threshold, frame["w"], 0.0)
    grouped = frame.groupby("zone")
    out = grouped[["w", "within"]].sum()
    out["share"] = out["within"] / out["w"]
    out["median"] = grouped.apply(
        lambda g: weighted_quantile(g["d"].to_numpy(), g["w"].to_numpy(), 0.5), include_groups=False
    )
    out["p90"] = grouped.apply(
        lambda g: weighted_quantile(g["d"].to_numpy(), g["w"].to_numpy(), 0.9), include_groups=False
    )
    return out


def networkx_nearest(
    net: gn.WalkNetwork, engine: gn.NetworkEngine, site_xy: np.ndarray
) -> tuple[np.ndarray, float]:
    """networkx's multi-source Dijkstra with one virtual node per site (same snapping)."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(net.n_nodes))
    graph.add_weighted_edges_from(
        zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist(), strict=True),
        weight="length",
    )
    snap = engine.snap_sites(site_xy)
    virtual = []
    for k in range(len(site_xy)):
        graph.add_edge(("site", k), int(snap.node[k]), length=float(snap.snap_m[k]))
        virtual.append(("site", k))
    start = time.perf_counter()
    dist = nx.multi_source_dijkstra_path_length(graph, virtual, weight="length")
    node_dist = np.full(net.n_nodes, np.inf)
    keys = np.fromiter((k for k in dist if not isinstance(k, tuple)), dtype=np.int64)
    node_dist[keys] = [dist[int(k)] for k in keys]
    out = engine.demand_snap_m + node_dist[engine.demand_node]
    out[~engine.demand_on_network] = np.inf
    return out, time.perf_counter() - start


def synthetic_case(
    rng: np.random.Generator,
) -> tuple[gn.WalkNetwork, gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A SYNTHETIC 400 × 400 grid (50 m) with 20 000 demand points, 40 sites, 16 zone blocks."""
    net = gn.grid_network(400, 400, spacing_m=50.0, origin=(590_000.0, 6_635_000.0))
    minx, maxx, miny, maxy = net.x.min(), net.x.max(), net.y.min(), net.y.max()
    xy = np.c_[rng.uniform(minx, maxx, 20_000), rng.uniform(miny, maxy, 20_000)]
    w, h = (maxx - minx) / 4 + 1e-6, (maxy - miny) / 4 + 1e-6
    blocks = [
        shapely.box(
            minx - 1 + c * w, miny - 1 + r * h, minx - 1 + (c + 1) * w, miny - 1 + (r + 1) * h
        )
        for r in range(4)
        for c in range(4)
    ]
    zones = gpd.GeoDataFrame(
        {
            "zone_code": [f"z{k:02d}" for k in range(16)],
            "zone": [f"Syntetisk blokk {k + 1}" for k in range(16)],
        },
        geometry=blocks,
        crs=settings.ANALYSIS_CRS,
    )
    col = np.clip(((xy[:, 0] - minx) / w).astype(int), 0, 3)
    row = np.clip(((xy[:, 1] - miny) / h).astype(int), 0, 3)
    demand = gpd.GeoDataFrame(
        {
            "zone_code": zones["zone_code"].to_numpy()[row * 4 + col],
            "weight": rng.integers(1, 60, len(xy)).astype(float),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=settings.ANALYSIS_CRS,
    )
    site_xy = np.c_[rng.uniform(minx, maxx, 40), rng.uniform(miny, maxy, 40)]
    services = gpd.GeoDataFrame(
        {"id": [f"s{k}" for k in range(40)], "name": "syntetisk", "category": "brukerrom"},
        geometry=gpd.points_from_xy(site_xy[:, 0], site_xy[:, 1]),
        crs=settings.ANALYSIS_CRS,
    )
    return net, demand, services, zones


def real_case(
    study: Study,
) -> tuple[gn.WalkNetwork, gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame] | None:
    """The OSM extracts of the reference data, the residents on SSB's grid, the registry."""
    net = gn.load_walk_network()
    if net is None:
        return None
    services = study.services[~(study.services.geometry.isna() | study.services.geometry.is_empty)]
    return net, study.demand, services.assign(category="brukerrom"), study.zones


def run_case(
    label: str, case: tuple[Any, ...], args: argparse.Namespace, rng: np.random.Generator
) -> None:
    net, demand, services, zones = case
    print(
        f"\n-- {label}: {net.n_nodes:,} nodes, {net.n_edges:,} edges; {len(demand):,} demand points, {len(services)} sites"
    )
    demand_xy = np.c_[demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()]
    site_xy = np.c_[services.geometry.x.to_numpy(), services.geometry.y.to_numpy()]
    engine = gn.NetworkEngine(net, demand_xy)
    ours, ours_med, ours_max = timed(lambda: engine.nearest(site_xy), args.repeat)
    print(
        f"nearest site, all demand points: median {ours_med * 1e3:.1f} ms (max {ours_max * 1e3:.1f} ms)"
    )
    if not args.skip_networkx:
        base, nx_s = networkx_nearest(net, engine, site_xy)
        same = np.allclose(base, ours, rtol=1e-9, atol=1e-6, equal_nan=True)
        print(
            f"  networkx multi_source_dijkstra: {nx_s * 1e3:.0f} ms → ours {nx_s / ours_med:.0f}× faster; identical: {same}"
        )

    whatif = WhatIf(engine, demand, services, zones, threshold_m=args.threshold)
    on = demand_xy[engine.demand_on_network]
    drops = on[rng.choice(len(on), 25)] + rng.normal(0, 30, (25, 2))
    core, total = [], []
    for xy in drops:
        t = time.perf_counter()
        result = whatif.add([xy])
        core.append(time.perf_counter() - t)
        _ = result.table, result.diff
        total.append(time.perf_counter() - t)
    ms, full_ms = np.array(core) * 1e3, np.array(total) * 1e3
    base_xy = xy_of(whatif.services)
    _, scratch_med, _ = timed(lambda: engine.nearest(np.vstack([base_xy, drops[0]])), args.repeat)
    print(
        f"what-if add one site, distances for every resident: median {np.median(ms):.1f} ms, max {ms.max():.1f} ms (25 drops); full search from every site {scratch_med * 1e3:.1f} ms"
    )
    print(
        f"  + zone metric table and diff, when read: median {np.median(full_ms):.1f} ms, max {full_ms.max():.1f} ms"
    )
    index = ZoneIndex.from_demand(whatif.demand, zones)
    _, table_med, _ = timed(
        lambda: zone_metrics(index, whatif.nearest_m, whatif.services, args.threshold), args.repeat
    )
    _, pandas_med, _ = timed(
        lambda: pandas_table(whatif.demand, whatif.nearest_m, args.threshold), args.repeat
    )
    print(
        f"  zone metric table alone: median {table_med * 1e3:.2f} ms; pandas group-by baseline {pandas_med * 1e3:.1f} ms ({pandas_med / table_med:.0f}×)"
    )

    # five different places (several services share an address)
    iso_sites = np.unique(site_xy, axis=0)[:5]
    radii = [500.0, settings.minutes_to_metres(10), settings.minutes_to_metres(15)]

    def uncached() -> Any:
        gn.clear_isochrone_cache()
        return gn.isochrones(net, iso_sites, radii)

    ours, iso_med, iso_max = timed(uncached, args.iso_repeat)
    _, hit_med, _ = timed(lambda: gn.isochrones(net, iso_sites, radii), args.iso_repeat)
    base, base_med, _ = timed(lambda: shapely_isochrones(net, iso_sites, radii), 1)
    area = ours.geometry.area.to_numpy()
    exact = np.array([g.area for g in base])
    print(
        f"isochrones {len(iso_sites)} sites × 3 thresholds (500 m, 10, 15 min): median {iso_med * 1e3:.0f} ms (max {iso_max * 1e3:.0f} ms); cached {hit_med * 1e3:.1f} ms"
    )
    print(
        f"  baseline shapely union of buffered pieces: {base_med * 1e3:.0f} ms → ours {base_med / iso_med:.0f}× faster; area differs by at most {np.max(np.abs(area / exact - 1)) * 100:.2f} %"
    )


def shapely_isochrones(
    net: gn.WalkNetwork, site_xy: np.ndarray, radii: list[float]
) -> list[shapely.Geometry]:
    """The former polygon step: every reached piece buffered by shapely, then united."""
    from scipy.sparse.csgraph import dijkstra

    snap = net.snap(site_xy)
    out = []
    for k, xy in enumerate(site_xy):
        dist = dijkstra(net.csr, indices=int(snap.node[k]), limit=max(radii)) + snap.snap_m[k]
        access = np.array([[xy, net.xy[snap.node[k]]]])
        for radius in sorted(radii, reverse=True):
            segs = np.concatenate([gn.reached_segments(net, dist, radius), access])
            lines = shapely.linestrings(segs)
            out.append(
                shapely.union_all(shapely.buffer(lines, gn.DEFAULT_ISOCHRONE_BUFFER_M, quad_segs=3))
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threshold", type=float, default=500.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--iso-repeat", type=int, default=3)
    parser.add_argument("--skip-networkx", action="store_true")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(20261201)
    print("== Walking-network benchmark ==")
    print(f"Machine: {os.cpu_count()} CPU(s); Python {sys.version.split()[0]}")
    t = time.perf_counter()
    study = Study.load()
    print(f"Reference data loaded in {time.perf_counter() - t:.1f} s")
    real = real_case(study)
    if real is None:
        print("\n-- real OSM network: not found in the data directory (skipped)")
    else:
        run_case(f"REAL OSM extracts ({real[0].source})", real, args, rng)
    run_case("SYNTHETIC 400 × 400 grid, 50 m (not Oslo's streets)", synthetic_case(rng), args, rng)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nPeak memory (max RSS): {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
