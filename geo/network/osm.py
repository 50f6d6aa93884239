"""Read OpenStreetMap extracts into a walkable street graph (pyosmium, no osmnx).

osmnx reads only OSM XML and is slow on large files; this module reads PBF and OSM XML
(``.osm``, ``.osm.xml``, ``.osm.gz``, ``.osm.bz2``) with pyosmium and returns the pedestrian
network as flat numpy arrays: OSM node ids with lon/lat (EPSG:4326) and undirected edges, one per
pair of consecutive nodes of a walkable way.

What a way must pass to be walkable is exactly osmnx 2.1.1's ``network_type="walk"`` filter
(``osmnx._overpass._get_network_filter("walk")`` together with ``osmnx.settings.default_access``),
see :func:`is_walkable`; every excluded way is counted by the first rule it fails, see
:func:`exclusion_reason`.

Several files are read as one network:

* each way id is used once; of several copies the one with the highest ``version`` wins, then the
  one with more of its nodes present in its own file, then the earlier file;
* each node id is used once; node locations from all files are pooled, so a way clipped at the
  edge of one extract is completed with nodes from another extract when they are there. When two
  files disagree on a node's location, the newest file wins (newest way timestamp): extracts are
  snapshots, so the newest one holds the newest version of every node (checked on the two Oslo
  extracts: the 6 648 disagreeing nodes all have a higher version in the newer file).

Real OSM data is messy; nothing is skipped silently, every skipped piece is counted in
:class:`OsmReadReport`:

* self-loop segments (the same node id twice in a row, including ways like ``[a, a]``);
* clipped ways (node ids that are in none of the files, typically cut off at the bounding box of an
  extract): the runs of located nodes are kept, segments touching a missing node are dropped;
* nodes with an invalid location (outside ±180°/±90°, or a non-number in OSM XML): segments
  touching them are dropped;
* degenerate ways (fewer than two distinct usable nodes): they give no edge;
* zero-length segments (two node ids at the same location): the segment is dropped and the two
  nodes are merged into the one with the smaller id, so the network stays connected;
* segments shared by several ways (or walked twice by one way): kept once, with the smallest way id;
* closed ways (first node = last node, e.g. a footway around a pond) are ordinary ways and kept.

A file that does not exist, is empty, is not OSM or is truncated/corrupt raises
:class:`OsmReadError` with a message in Norwegian bokmål naming the file, never a raw traceback.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from os import PathLike
from pathlib import Path

import numpy as np
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geo import settings
from geo.labels import format_count
from geo.network._osm_files import MAX_X, MAX_Y, SCALE, UNDEFINED, FileWays, read_file
from geo.network.osm_report import OsmReadError, OsmReadReport, OsmStreets
from geo.network.walkfilter import FILTER_REASONS, REASON_CODE

__all__ = [
    "PathArg",
    "project",
    "read_osm",
]

PathArg = str | PathLike[str]

# ---------------------------------------------------------------------------- the walk filter


# ---------------------------------------------------------------------------- opening files


# ---------------------------------------------------------------------------- reading one file


# ---------------------------------------------------------------------------- merging files
def _first_of_groups(sorted_keys: np.ndarray) -> np.ndarray:
    """Return a mask of the first element of each run of equal values in a sorted array."""
    mask = np.ones(len(sorted_keys), dtype=bool)
    mask[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return mask


def _choose_ways(files: Sequence[FileWays]) -> dict[str, np.ndarray]:
    """Pick one version per way id (highest version, most located nodes, earliest file).

    Returns the chosen rows (ascending way id) as arrays, with ``start`` indexing the
    concatenated refs of all files.
    """
    offsets = np.cumsum([0] + [len(f.refs) for f in files])
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("way_id", "version", "visible", "reason")}
    cols.update(n_refs=[], n_located=[], start=[], file=[])
    for index, ways in enumerate(files):
        for key in ("way_id", "version", "visible", "reason", "n_refs", "n_located"):
            cols[key].append(getattr(ways, key))
        cols["start"].append(offsets[index] + np.cumsum(ways.n_refs) - ways.n_refs)
        cols["file"].append(np.full(len(ways.way_id), index, dtype=np.int64))
    table = {key: np.concatenate(parts) for key, parts in cols.items()}
    order = np.lexsort((table["file"], -table["n_located"], -table["version"], table["way_id"]))
    chosen = order[_first_of_groups(table["way_id"][order])]
    return {key: values[chosen] for key, values in table.items()}


@dataclass
class _NodePool:
    """One location per node id, pooled over all files."""

    node_id: np.ndarray  # ascending
    x: np.ndarray
    y: np.ndarray
    valid: np.ndarray
    duplicated: int
    conflicting: int


def _table_rows(files: Sequence[FileWays], ids: np.ndarray) -> np.ndarray:
    """Look up node ids in every file's location table: nodes no highway way of the file uses.

    Such a node can still be needed by a way of another file (a newer footway to an existing
    node); only the few ids missing from all highway ways are looked up, one by one.
    """
    found: list[tuple[int, int, int, int]] = []
    if len(files) > 1:
        for index, ways in enumerate(files):
            for node in ids[ids > 0].tolist():
                try:
                    location = ways.locations.get(node)
                except KeyError:
                    continue
                found.append((node, location.x, location.y, index))
    return np.array(found, dtype=np.int64).reshape(-1, 4)


def _snapshot_rank(files: Sequence[FileWays]) -> np.ndarray:
    """Rank the files from oldest (0) to newest: newest way timestamp, then reading order."""
    keys = [(f.newest.timestamp() if f.newest else 0.0, i) for i, f in enumerate(files)]
    rank = np.empty(len(files), dtype=np.int64)
    rank[sorted(range(len(files)), key=keys.__getitem__)] = np.arange(len(files))
    return rank


def _pool_nodes(files: Sequence[FileWays]) -> _NodePool:
    """Pool the located node refs of all files.

    A node located in several files at different places takes the location from the newest
    file (newest way timestamp, then the later file); a valid location beats an invalid one.
    """
    parts = [np.column_stack([f.refs, np.full(len(f.refs), i)]) for i, f in enumerate(files)]
    rows = np.concatenate(parts) if parts else np.zeros((0, 4), dtype=np.int64)
    rows = rows[rows[:, 1] != UNDEFINED]
    rows = np.concatenate(
        [
            rows,
            _table_rows(
                files, np.setdiff1d(np.concatenate([f.refs[:, 0] for f in files]), rows[:, 0])
            ),
        ]
    )
    # one row per (node, file)
    rows = rows[np.lexsort((rows[:, 3], rows[:, 0]))]
    keep = np.ones(len(rows), dtype=bool)
    keep[1:] = (rows[1:, 0] != rows[:-1, 0]) | (rows[1:, 3] != rows[:-1, 3])
    rows = rows[keep]
    ids, first, n_files = np.unique(rows[:, 0], return_index=True, return_counts=True)
    group_first = np.repeat(first, n_files)
    differs = np.any(rows[:, 1:3] != rows[group_first, 1:3], axis=1)
    conflict_ids = np.unique(rows[differs, 0])
    valid = (np.abs(rows[:, 1]) <= MAX_X) & (np.abs(rows[:, 2]) <= MAX_Y)
    # Extracts are snapshots: the file with the newest data holds the newest version of a node.
    rank = _snapshot_rank(files)
    order = np.lexsort((-rank[rows[:, 3]], ~valid, rows[:, 0]))
    best = order[_first_of_groups(rows[order, 0])]
    return _NodePool(
        node_id=ids,
        x=rows[best, 1],
        y=rows[best, 2],
        valid=valid[best],
        duplicated=int(np.count_nonzero(n_files > 1)),
        conflicting=len(conflict_ids),
    )


# ---------------------------------------------------------------------------- building the graph
def _lookup(pool: _NodePool, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (position in the pool, found) for node ids; the pool must not be empty."""
    pos = np.minimum(np.searchsorted(pool.node_id, ids), len(pool.node_id) - 1)
    return pos, pool.node_id[pos] == ids


def _merge_coincident(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group node ids joined by zero-length segments; return (ids, representative id)."""
    ids, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    n = len(ids)
    half = len(a)
    graph = coo_matrix((np.ones(half), (inverse[:half], inverse[half:])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    rep = np.full(labels.max() + 1 if n else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(rep, labels, ids)
    return ids, rep[labels]


def _ranked_components(n_nodes: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Label connected components 0, 1, … by decreasing size."""
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n_nodes, n_nodes))
    n_comp, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels, minlength=n_comp)
    rank = np.empty(n_comp, dtype=np.int32)
    rank[np.lexsort((np.arange(n_comp), -sizes))] = np.arange(n_comp, dtype=np.int32)
    return rank[labels]


@dataclass
class _Segments:
    """Node refs of the walkable ways, flattened, with their pooled locations."""

    ref: np.ndarray
    way: np.ndarray  # index into the walkable ways (ascending way id)
    pos: np.ndarray
    found: np.ndarray
    usable: np.ndarray


def _flatten(chosen: dict[str, np.ndarray], all_refs: np.ndarray, pool: _NodePool) -> _Segments:
    """Gather the node refs of the chosen ways in order and locate them in the pool."""
    n = chosen["n_refs"]
    total = int(n.sum())
    way = np.repeat(np.arange(len(n)), n)
    within = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    ref = all_refs[np.repeat(chosen["start"], n) + within]
    pos, found = _lookup(pool, ref)
    usable = found & pool.valid[pos]
    return _Segments(ref=ref, way=way, pos=pos, found=found, usable=usable)


def _count_per_way(n_ways: int, way: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Count True values of ``mask`` per way."""
    return np.bincount(way[mask], minlength=n_ways)


def _way_counts(
    chosen: dict[str, np.ndarray], seg: _Segments, self_loop: np.ndarray
) -> dict[str, int]:
    """Count way-level categories of the walkable ways."""
    n_ways = len(chosen["n_refs"])
    n = chosen["n_refs"]
    missing = _count_per_way(n_ways, seg.way, ~seg.found)
    pairs = np.unique(np.column_stack([seg.way[seg.usable], seg.ref[seg.usable]]), axis=0)
    distinct = np.bincount(pairs[:, 0], minlength=n_ways) if len(pairs) else np.zeros(n_ways, int)
    degenerate = distinct < 2
    first = np.cumsum(n) - n
    has_nodes = n > 0
    closed = np.zeros(n_ways, dtype=bool)
    closed[has_nodes] = seg.ref[first[has_nodes]] == seg.ref[(first + n - 1)[has_nodes]]
    own_missing = chosen["n_located"] < n
    loops = np.bincount(seg.way[:-1][self_loop], minlength=n_ways)
    return {
        "clipped_ways": int(np.count_nonzero(missing)),
        "completed_ways": int(np.count_nonzero(own_missing & (missing == 0))),
        "degenerate_ways": int(np.count_nonzero(degenerate)),
        "closed_ways": int(np.count_nonzero(closed & ~degenerate)),
        "self_loop_ways": int(np.count_nonzero(loops)),
        "missing_nodes": len(np.unique(seg.ref[~seg.found])),
        "negative_missing_nodes": len(np.unique(seg.ref[~seg.found & (seg.ref < 0)])),
        "invalid_nodes": len(np.unique(seg.ref[seg.found & ~seg.usable])),
    }


def _build_graph(
    chosen: dict[str, np.ndarray], all_refs: np.ndarray, pool: _NodePool
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Turn the walkable ways into deduplicated undirected edges between OSM node ids."""
    seg = _flatten(chosen, all_refs, pool)
    same_way = seg.way[1:] == seg.way[:-1]
    a, b = seg.ref[:-1], seg.ref[1:]
    self_loop = same_way & (a == b)
    rest = same_way & ~self_loop
    missing = rest & ~(seg.found[:-1] & seg.found[1:])
    rest &= ~missing
    invalid = rest & ~(seg.usable[:-1] & seg.usable[1:])
    rest &= ~invalid
    pa, pb = seg.pos[:-1], seg.pos[1:]
    zero = rest & (pool.x[pa] == pool.x[pb]) & (pool.y[pa] == pool.y[pb])
    rest &= ~zero
    counts = _way_counts(chosen, seg, self_loop)
    u, v, way = a[rest], b[rest], chosen["way_id"][seg.way[:-1][rest]]
    merged = 0
    if np.any(zero):
        ids, rep = _merge_coincident(a[zero], b[zero])
        merged = int(np.count_nonzero(ids != rep))
        for arr in (u, v):
            at = np.searchsorted(ids, arr).clip(max=len(ids) - 1)
            hit = ids[at] == arr
            arr[hit] = rep[at[hit]]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((way, hi, lo))
    lo, hi, way = lo[order], hi[order], way[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    counts.update(
        self_loop_segments=int(np.count_nonzero(self_loop)),
        clipped_segments=int(np.count_nonzero(missing)),
        invalid_segments=int(np.count_nonzero(invalid)),
        zero_length_segments=int(np.count_nonzero(zero)),
        merged_nodes=merged,
        duplicate_segments=int(np.count_nonzero(~first)),
    )
    return {"u": lo[first], "v": hi[first], "way": way[first]}, counts


def _as_paths(paths: PathArg | Iterable[PathArg]) -> list[Path]:
    """Normalise the ``paths`` argument of :func:`read_osm` to a list of paths."""
    if isinstance(paths, str | PathLike):
        return [Path(paths)]
    return [Path(p) for p in paths]


def _empty_error(names: list[str], detail: str) -> OsmReadError:
    """Return the error raised when the files give no walking network."""
    quoted = ", ".join(f"«{n}»" for n in names)
    return OsmReadError(f"Fant ingen gangbare veier i {quoted} ({detail}).")


def _stale_ways(
    chosen: dict[str, np.ndarray], files: Sequence[FileWays], all_refs: np.ndarray, pool: _NodePool
) -> np.ndarray:
    """Mark ways of an older file that a newer file covers but no longer contains.

    A file has no record of deletions: a street deleted (or split into new ways) after the older
    extract was made is simply missing from the newer one. An older way is taken as deleted when
    a newer file lacks its id although it covers the way: one of the way's nodes is in the newer
    file, or lies inside the newer file's header bounding box (extracts contain every way with a
    node in their area).
    """
    rank = _snapshot_rank(files)
    stale = np.zeros(len(chosen["way_id"]), dtype=bool)
    candidate = (chosen["reason"] >= 0) & chosen["visible"]
    for index, newer in enumerate(files):
        older = candidate & (rank[chosen["file"]] < rank[index])
        idx = np.flatnonzero(older & ~np.isin(chosen["way_id"], newer.way_id))
        if not len(idx):
            continue
        seg = _flatten({key: values[idx] for key, values in chosen.items()}, all_refs, pool)
        covered = np.isin(seg.ref, newer.located_ids)
        if newer.box is not None:
            x0, y0, x1, y1 = newer.box
            x, y = pool.x[seg.pos], pool.y[seg.pos]
            covered |= seg.usable & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        stale[idx[np.bincount(seg.way[covered], minlength=len(idx)) > 0]] = True
    return stale


_DELETED = -2
_STALE = -3


def _report(
    files: Sequence[FileWays],
    chosen: dict[str, np.ndarray],
    reason: np.ndarray,
    pool: _NodePool,
    counts: dict[str, int],
) -> OsmReadReport:
    """Assemble the :class:`OsmReadReport` (without ``seconds``); ``counts`` has the graph's."""
    n_read = sum(len(f.way_id) for f in files)
    stamps = [f.newest for f in files if f.newest is not None]
    return OsmReadReport(
        files=tuple(f.name for f in files),
        ways_read=n_read,
        ways_unique=len(chosen["way_id"]),
        duplicate_ways=n_read - len(chosen["way_id"]),
        duplicate_nodes=pool.duplicated,
        conflicting_nodes=pool.conflicting,
        deleted_ways=int(np.count_nonzero(reason == _DELETED)),
        stale_ways=int(np.count_nonzero(reason == _STALE)),
        non_highway_ways=int(np.count_nonzero(reason == -1)),
        highway_ways=int(np.count_nonzero(reason >= 0)),
        walkable_ways=int(np.count_nonzero(reason == 0)),
        excluded={r: int(np.count_nonzero(reason == REASON_CODE[r])) for r in FILTER_REASONS},
        newest_timestamp=max(stamps) if stamps else None,
        **counts,
    )


def read_osm(paths: PathArg | Iterable[PathArg], *, drop_stale: bool = True) -> OsmStreets:
    """Read one or more OSM extracts as one walkable street network.

    Parameters
    ----------
    paths : path or iterable of paths
        PBF (``.osm.pbf``) or OSM XML (``.osm``, ``.osm.xml``, ``.osm.gz``, ``.osm.bz2``) files;
        the format is recognised from the content. Several files are merged (each node and way
        id once, newest version).
    drop_stale : bool, default True
        Leave out ways of an older file that a newer file covers but no longer contains (deleted
        or replaced since the older extract was made), counted as ``stale_ways``. Set to False
        when a newer file is filtered to fewer kinds of ways than the older one.

    Returns
    -------
    OsmStreets
        Nodes (OSM id, lon, lat), undirected edges and a :class:`OsmReadReport`.

    Raises
    ------
    OsmReadError
        If a file is missing, empty, not OSM or corrupt, or if no walkable street remains.
    """
    started = time.perf_counter()
    path_list = _as_paths(paths)
    if not path_list:
        raise OsmReadError("Ingen OSM-filer er oppgitt.")
    files = [read_file(path) for path in path_list]
    names = [f.name for f in files]
    chosen = _choose_ways(files)
    reason = np.where(chosen["visible"], chosen["reason"], _DELETED)
    all_refs = np.concatenate([f.refs[:, 0] for f in files])
    pool = _pool_nodes(files)
    if drop_stale and len(pool.node_id):
        reason[_stale_ways(chosen, files, all_refs, pool)] = _STALE
    if not np.any(reason == 0):
        n_read = sum(len(f.way_id) for f in files)
        n_highway = int(np.count_nonzero(reason >= 0))
        raise _empty_error(
            names, f"{format_count(n_read)} veier lest, {format_count(n_highway)} med highway"
        )
    if not len(pool.node_id):
        raise _empty_error(names, "ingen av nodene til veiene finnes i filene")
    walkable = {key: values[reason == 0] for key, values in chosen.items()}
    edges, counts = _build_graph(walkable, all_refs, pool)
    if not len(edges["u"]):
        raise _empty_error(names, "ingen av de gangbare veiene har to brukbare noder på rad")
    node_id, inverse = np.unique(np.concatenate([edges["u"], edges["v"]]), return_inverse=True)
    edge_u = inverse[: len(edges["u"])].astype(np.int32)
    edge_v = inverse[len(edges["u"]) :].astype(np.int32)
    component = _ranked_components(len(node_id), edge_u, edge_v)
    pos, _ = _lookup(pool, node_id)
    counts.update(
        nodes=len(node_id),
        edges=len(edge_u),
        components=int(component.max()) + 1,
        largest_component=int(np.count_nonzero(component == 0)),
    )
    report = _report(files, chosen, reason, pool, counts)
    return OsmStreets(
        node_id=node_id.astype(np.int64),
        lon=pool.x[pos] / SCALE,
        lat=pool.y[pos] / SCALE,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_way=edges["way"].astype(np.int64),
        component=component,
        report=replace(report, seconds=time.perf_counter() - started),
    )


@lru_cache(maxsize=8)
def _transformer(crs: str) -> Transformer:
    """Return a cached lon/lat → ``crs`` transformer."""
    return Transformer.from_crs(settings.DISPLAY_CRS, crs, always_xy=True)


def project(streets: OsmStreets, crs: str = settings.ANALYSIS_CRS) -> tuple[np.ndarray, np.ndarray]:
    """Project the nodes to a metric CRS.

    Parameters
    ----------
    streets : OsmStreets
        Result of :func:`read_osm`.
    crs : str, default ``settings.ANALYSIS_CRS`` (EPSG:25832)
        Target coordinate system.

    Returns
    -------
    x, y : numpy.ndarray
        float64 coordinates of each node in ``crs`` (metres for a projected CRS).
    """
    x, y = _transformer(crs).transform(streets.lon, streets.lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
