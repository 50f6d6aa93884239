"""Oracle tests: geo's numbers against well-known libraries, pinned before the large refactor.

Every test computes the same quantity twice – once with ``geo`` and once with an independent,
widely used implementation – on the real Oslo reference data where possible:

* 2SFCA (:func:`geo.access.two_step_fca`) against PySAL ``access`` (``Access.two_stage_fca``);
* the exact MCLP (:meth:`geo.siting.CoverageModel.solve_exact`, HiGHS) against PySAL ``spopt``'s
  ``MCLP`` solved with PuLP's CBC, without and with existing services locked in;
* :class:`geo.network.NetworkEngine` (``nearest`` and ``within``) against networkx's Dijkstra;
* :func:`geo.network._walkable` against osmnx's own ``walk`` Overpass filter string;
* :func:`geo.network.corridor_polygon` (the raster isochrone step) against ``shapely``'s
  buffers of the same street pieces, united.

Where a headline number is also pinned as a literal, it is today's value on the shared reference
data (``/work/shared/data`` + ``data/services.csv``); if the reference data changes on purpose,
update the literal – if the refactor changes it, that is the regression these tests exist for.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pulp
import pytest
import scipy.sparse as sp
import shapely
from access import Access
from access import weights as access_weights
from scipy.spatial.distance import cdist
from spopt.locate import MCLP

from geo import network as gn
from geo.analysis.access import access_by_zone, two_step_fca
from geo.data.services import located
from geo.geom import xy_of
from geo.network.walkfilter import WALK_FILTER, is_walkable
from geo.siting.candidates import grid_candidates
from geo.siting.model import CoverageModel

# PuLP 3.3 announces its 4.0 API on every variable spopt creates (PuLP 4 breaks spopt: pinned < 4)
PULP_QUIET = [
    pytest.mark.filterwarnings("ignore:Constructing LpVariable:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning"),
]
TIE_M = 1e-6  # geo counts d <= t + 1e-6 as within; the oracles use d <= t: no pair may sit between


# ====================================================================== 2SFCA vs PySAL access
@pytest.fixture(scope="module")
def fca_case(study) -> dict[str, Any]:
    """Demand = the demand points (populated SSB 100 m cells); supply = the 11 located services + a 2.5 km grid (29)."""
    grid = grid_candidates(study.bydeler, 2500)
    supply_xy = np.vstack(
        [
            xy_of(located(study.services, None)),
            np.column_stack([grid.geometry.x, grid.geometry.y]),
        ]
    )
    return {
        "weights": study.demand["weight"].to_numpy(dtype=float),
        "codes": study.demand["zone_code"].to_numpy(),
        "supply_xy": supply_xy,
        "engine": study.straight_engine(),
    }


def _geo_gaussian_from_access(threshold_m: float):
    """geo's gaussian :math:`W(d) = (g(d) - g(d_0)) / (1 - g(d_0))` built on access's gaussian.

    ``access.weights.gaussian(sigma)`` is :math:`g(d) = e^{-d^2 / 2\\sigma^2}` (1 at 0, never 0);
    geo's gaussian with :math:`\\sigma = d_0` is that curve shifted and rescaled so that it reaches
    0 at the threshold. The two definitions differ (see ``test_access_plain_gaussian_differs``),
    so only the rescaled form is compared for equality.
    """
    g = access_weights.gaussian(threshold_m)
    edge = g(threshold_m)
    return lambda d: (g(d) - edge) / (1.0 - edge)


def _access_2sfca(weights, capacity, coo: sp.coo_array, threshold_m, weight_fn) -> np.ndarray:
    demand = pd.DataFrame({"geoid": np.arange(len(weights)), "pop": weights}).set_index("geoid")
    supply = pd.DataFrame({"geoid": np.arange(len(capacity)), "cap": capacity}).set_index("geoid")
    cost = pd.DataFrame({"origin": coo.row, "dest": coo.col, "cost": coo.data})
    model = Access(
        demand_df=demand,
        demand_index=True,
        demand_value="pop",
        supply_df=supply,
        supply_index=True,
        supply_value="cap",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    out = model.two_stage_fca(name="fca", max_cost=threshold_m, weight_fn=weight_fn)
    # access leaves demand points that reach no supply as NaN; geo gives them 0
    return out["fca_cap"].reindex(np.arange(len(weights))).fillna(0.0).to_numpy()


# today's values: (threshold, decay, capacities) -> (max A_i, highest bydel access per 10k,
# demand points with A_i > 0). The city mean is no pin: supply conservation fixes it.
FCA_PINS = {
    (750.0, None, "ones"): (0.018280082716442218, 10.917004046173663, 2820),
    (750.0, None, "unequal"): (0.27420124074663327, 205.38594886912904, 2820),
    (750.0, "linear", "ones"): (0.03329616687361172, 13.423579793385416, 2820),
    (750.0, "gaussian", "unequal"): (0.6867201415732079, 232.5819688652761, 2820),
    (1500.0, None, "ones"): (0.011927973646723647, 1.414817211150679, 8252),
    (1500.0, None, "unequal"): (0.14313568376068378, 21.147756819074587, 8252),
    (1500.0, "linear", "unequal"): (0.2053968221154352, 39.331318286330564, 8252),
    (1500.0, "gaussian", "ones"): (0.015131615833390798, 2.4663761751331457, 8252),
}


@pytest.mark.parametrize(("threshold_m", "decay", "capacities"), list(FCA_PINS))
def test_two_step_fca_matches_pysal_access(fca_case, threshold_m, decay, capacities) -> None:
    w, xy = fca_case["weights"], fca_case["supply_xy"]
    m = len(xy)
    capacity = np.ones(m) if capacities == "ones" else np.arange(1, m + 1, dtype=float)
    cost = sp.csr_array(fca_case["engine"].within(xy, threshold_m))
    assert not np.any(np.abs(cost.data - threshold_m) < TIE_M)  # no pair on the boundary
    coo = sp.coo_array(cost)
    # several supply points compete for the same demand: the case 2SFCA exists for
    per_point = np.bincount(coo.row, minlength=len(w))
    assert (per_point >= 2).sum() > 50

    weight_fn = {
        None: None,
        "linear": lambda d: 1.0 - d / threshold_m,  # geo's linear W(d) = 1 - d/d0
        "gaussian": _geo_gaussian_from_access(threshold_m),
    }[decay]
    oracle = _access_2sfca(w, capacity, coo, threshold_m, weight_fn)
    got = two_step_fca(w, None if capacities == "ones" else capacity, cost, threshold_m, decay)
    # atol: near the threshold the gaussian weight is ~1e-9 and the two formulas round apart
    np.testing.assert_allclose(got, oracle, rtol=1e-12, atol=1e-15)

    # the same result from a dense cost matrix (inf = unreachable)
    dense = np.full(cost.shape, np.inf)
    dense[coo.row, coo.col] = coo.data
    np.testing.assert_allclose(
        two_step_fca(w, capacity, dense, threshold_m, decay), got, rtol=1e-12
    )

    # supply is conserved: sum_i P_i A_i = sum of the capacities of services that reach anyone
    reached = np.unique(coo.col)
    assert (w * got).sum() == pytest.approx(capacity[reached].sum(), rel=1e-12)

    # per bydel: access_by_zone is the weighted mean of the oracle's index
    table = access_by_zone(got, w, fca_case["codes"])
    frame = pd.DataFrame({"b": fca_case["codes"].astype(str), "pa": w * oracle, "p": w})
    by_bydel = frame.groupby("b")[["pa", "p"]].sum()
    expected = 1e4 * by_bydel["pa"] / by_bydel["p"]
    rows = table[table["zone_code"] != "0301"].set_index("zone_code")["access_per_10k"]
    np.testing.assert_allclose(rows.reindex(expected.index), expected, rtol=1e-12)

    max_a, max_bydel, positive = FCA_PINS[(threshold_m, decay, capacities)]
    assert got.max() == pytest.approx(max_a, rel=1e-9)
    assert rows.max() == pytest.approx(max_bydel, rel=1e-9)
    city = table.loc[table["zone_code"] == "0301", "access_per_10k"].iloc[0]
    # supply in forest or sea reaches no resident and counts nowhere
    assert city == pytest.approx(1e4 * capacity[reached].sum() / w.sum(), rel=1e-12)
    assert int((got > 0).sum()) == positive


def test_access_plain_gaussian_differs(fca_case) -> None:
    """access's own gaussian (sigma = d0) is not geo's gaussian: it never reaches 0 at d0."""
    w, xy, t = fca_case["weights"], fca_case["supply_xy"], 1500.0
    cost = sp.csr_array(fca_case["engine"].within(xy, t))
    plain = _access_2sfca(w, np.ones(len(xy)), sp.coo_array(cost), t, access_weights.gaussian(t))
    got = two_step_fca(w, None, cost, t, "gaussian")
    assert np.max(np.abs(got - plain) / np.maximum(got, 1e-300)) > 1e-3


# ====================================================================== MCLP vs PySAL spopt
@pytest.fixture(scope="module")
def mclp_case(study) -> dict[str, Any]:
    """90 candidates (every second point of the 1 km grid), straight-line cost to 9 155 points."""
    grid = grid_candidates(study.bydeler, 1000).iloc[::2].reset_index(drop=True)
    cand_xy = np.column_stack([grid.geometry.x, grid.geometry.y])
    existing = located(study.services, None)  # all 11 located services, locked in
    return {
        "weights": study.demand["weight"].to_numpy(dtype=float),
        "ids": grid["candidate_id"].tolist(),
        "cost": cdist(study.demand_xy, cand_xy),
        "existing_cost": cdist(study.demand_xy, xy_of(existing)),
    }


def _spopt_mclp(cost, weights, radius, p, predefined=None) -> tuple[float, np.ndarray]:
    # rows no column can reach have y_i = 0 in every solution: dropped to keep CBC fast
    rows = (cost <= radius).any(axis=1)
    model = MCLP.from_cost_matrix(
        cost[rows], weights[rows], radius, p_facilities=p, predefined_facilities_arr=predefined
    ).solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.LpStatus[model.problem.status] == "Optimal"
    chosen = np.flatnonzero([v.value() > 0.5 for v in model.fac_vars])
    return float(pulp.value(model.problem.objective)), chosen


# today's exact optimum: (threshold, p) -> (newly covered residents, chosen grid ids)
MCLP_PINS = {
    (500.0, 1): (22260.44965711366, ["grid-599000-6643000"]),
    (500.0, 2): (36299.19241088285, ["grid-598000-6645000", "grid-599000-6643000"]),
    (500.0, 3): (
        50244.949429708744,
        ["grid-597000-6644000", "grid-598000-6645000", "grid-599000-6643000"],
    ),
    (750.0, 1): (35428.970284294446, ["grid-599000-6643000"]),
    (750.0, 2): (67032.7057964097, ["grid-598000-6645000", "grid-599000-6643000"]),
    (750.0, 3): (
        92773.63363688307,
        ["grid-598000-6645000", "grid-599000-6643000", "grid-599000-6644000"],
    ),
}


@pytest.mark.parametrize(("threshold_m", "p"), list(MCLP_PINS))
@PULP_QUIET[0]
@PULP_QUIET[1]
def test_exact_mclp_matches_spopt(mclp_case, threshold_m, p) -> None:
    cost, w = mclp_case["cost"], mclp_case["weights"]
    assert not np.any(np.abs(cost - threshold_m) < TIE_M)
    model = CoverageModel.from_cost_matrix(cost, w, threshold_m, candidate_ids=mclp_case["ids"])
    result = model.solve_exact(p)
    assert result.solver["status"] == "Optimal"
    objective, chosen = _spopt_mclp(cost, w, threshold_m, p)
    assert result.newly_covered == pytest.approx(objective, rel=1e-6)
    # geo's evaluation of spopt's choice gives spopt's objective (optimal sets may differ on ties)
    assert model.objective(chosen) == pytest.approx(objective, rel=1e-9)
    assert result.covered_before == 0.0
    if p == 1:
        assert model.solve_enumeration().newly_covered == pytest.approx(objective, rel=1e-12)
    assert model.solve_greedy(p).newly_covered <= result.newly_covered * (1 + 1e-12)

    pinned, pinned_ids = MCLP_PINS[(threshold_m, p)]
    assert result.newly_covered == pytest.approx(pinned, rel=1e-9)
    assert sorted(result.chosen) == sorted(pinned_ids)


# today's optimum with the 11 located services locked in: (threshold, p) -> total covered residents
MCLP_LOCKED_PINS = {
    (500.0, 1): 60812.57579146518,
    (500.0, 2): 73309.57347187755,
    (500.0, 3): 84916.92372411763,
    (750.0, 1): 115277.68658638537,
    (750.0, 2): 134218.1621643204,
    (750.0, 3): 150268.27621071218,
}


@pytest.mark.parametrize(("threshold_m", "p"), list(MCLP_LOCKED_PINS))
@PULP_QUIET[0]
@PULP_QUIET[1]
def test_exact_mclp_with_existing_sites_matches_spopt(mclp_case, threshold_m, p) -> None:
    """geo locks existing services in through ``already_covered``; spopt through extra columns
    forced open with ``predefined_facilities_arr`` and ``p_facilities = p + n_existing``."""
    cost, existing, w = mclp_case["cost"], mclp_case["existing_cost"], mclp_case["weights"]
    n_existing = existing.shape[1]
    assert n_existing == 11
    assert not np.any(np.abs(existing - threshold_m) < TIE_M)
    covered = (existing <= threshold_m).any(axis=1)
    result = CoverageModel.from_cost_matrix(
        cost, w, threshold_m, already_covered=covered, candidate_ids=mclp_case["ids"]
    ).solve_exact(p)
    assert result.solver["status"] == "Optimal"

    predefined = np.r_[np.zeros(cost.shape[1]), np.ones(n_existing)].astype(int)
    objective, chosen = _spopt_mclp(
        np.hstack([cost, existing]), w, threshold_m, p + n_existing, predefined
    )
    assert set(range(cost.shape[1], cost.shape[1] + n_existing)) <= set(chosen.tolist())
    assert result.covered_after == pytest.approx(objective, rel=1e-6)
    assert result.covered_before == pytest.approx(w[covered].sum(), rel=1e-12)
    assert result.covered_after == pytest.approx(MCLP_LOCKED_PINS[(threshold_m, p)], rel=1e-9)


# ====================================================================== network engine vs networkx
def _synthetic_network(short_edges: bool = False, n: int = 70, spacing: float = 60.0):
    """A deterministic irregular street graph: a jittered 70 × 70 lattice (4 900 nodes) with some
    cell diagonals, 15 % of the edges removed (a few nodes end up cut off) and edge lengths of
    1–1.3 × the chord (20 % exactly the chord). ``short_edges`` makes 10 % of the edges shorter
    than their chord, which switches ``NetworkEngine.within`` to whole-graph searches."""
    rng = np.random.default_rng(20261124)
    r, c = np.divmod(np.arange(n * n), n)
    x = 590_000.0 + c * spacing + rng.uniform(-0.3, 0.3, n * n) * spacing
    y = 6_640_000.0 + r * spacing + rng.uniform(-0.3, 0.3, n * n) * spacing
    idx = np.arange(n * n).reshape(n, n)
    cells = idx[:-1, :-1].ravel()
    diag = rng.random(len(cells)) < 0.12
    flip = rng.random(len(cells)) < 0.5
    a, fl = cells[diag], flip[diag]
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel(), np.where(fl, a + 1, a)])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel(), np.where(fl, a + n, a + n + 1)])
    keep = rng.random(len(u)) >= 0.15
    u, v = u[keep], v[keep]
    chord = np.hypot(x[u] - x[v], y[u] - y[v])
    factor = np.where(rng.random(len(u)) < 0.2, 1.0, 1.0 + rng.uniform(0.0, 0.3, len(u)))
    if short_edges:
        factor = np.where(rng.random(len(u)) < 0.1, rng.uniform(0.5, 1.0, len(u)), factor)
    length = chord * factor
    net = gn.WalkNetwork.from_edges(x, y, u, v, length, source="syntetisk testnett")
    graph = nx.Graph()
    graph.add_nodes_from(range(n * n))
    graph.add_weighted_edges_from(
        zip(u.tolist(), v.tolist(), length.tolist(), strict=True), weight="length"
    )
    # demand and sites: random points over the lattice, plus points far off it
    lo, hi = np.array([x.min(), y.min()]), np.array([x.max(), y.max()])
    demand = np.vstack([rng.uniform(lo, hi, (1500, 2)), lo - 400.0, hi + np.array([350.0, 0.0])])
    sites = np.vstack([rng.uniform(lo, hi, (14, 2)), np.c_[x[[0, 2450]], y[[0, 2450]]], hi + 500])
    return net, graph, demand, sites


def _snap_oracle(net: gn.WalkNetwork, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = cdist(pts, net.xy)
    node = np.argmin(d, axis=1)
    return node, d[np.arange(len(pts)), node]


@pytest.fixture(scope="module", params=[False, True], ids=["lengths>=chord", "some-short-edges"])
def network_case(request) -> dict[str, Any]:
    net, graph, demand, sites = _synthetic_network(short_edges=request.param)
    engine = gn.NetworkEngine(net, demand)
    d_node, d_snap = _snap_oracle(net, demand)
    s_node, s_snap = _snap_oracle(net, sites)
    # per-site shortest paths with networkx: total_ij = demand snap + path + site snap
    total = np.full((len(demand), len(sites)), np.inf)
    for j in np.flatnonzero(s_snap <= gn.DEFAULT_MAX_SNAP_M):
        lengths = nx.single_source_dijkstra_path_length(graph, int(s_node[j]), weight="length")
        path = np.array([lengths.get(int(k), np.inf) for k in d_node])
        total[:, j] = d_snap + path + s_snap[j]
    total[d_snap > gn.DEFAULT_MAX_SNAP_M] = np.inf
    return {
        "net": net,
        "graph": graph,
        "demand": demand,
        "sites": sites,
        "engine": engine,
        "d_node": d_node,
        "d_snap": d_snap,
        "s_node": s_node,
        "s_snap": s_snap,
        "total": total,
        "short": request.param,
    }


def test_network_case_is_what_it_claims(network_case) -> None:
    net, c = network_case["net"], network_case
    assert net.n_nodes == 4900
    assert net.lengths_cover_straight_line is (not c["short"])
    assert nx.number_connected_components(c["graph"]) > 1  # some nodes are cut off
    np.testing.assert_array_equal(c["engine"].demand_node, c["d_node"])
    np.testing.assert_allclose(c["engine"].demand_snap_m, c["d_snap"], rtol=0, atol=1e-9)
    assert c["engine"].n_off_network == 2  # the two points placed far off the lattice
    assert np.isinf(c["total"][:, -1]).all()  # the site far off the lattice reaches nobody


def test_network_nearest_matches_networkx(network_case) -> None:
    """``NetworkEngine.nearest`` on a synthetic lattice (the real extracts: the test below).

    ``NetworkEngine.nearest`` = demand snap + shortest path + site snap, minimised over sites,
    against networkx's ``multi_source_dijkstra_path_length`` from a virtual source linked to
    every site node by its snapping distance (a directed link, so it cannot be a shortcut).
    """
    c = network_case
    engine, sites = c["engine"], c["sites"]
    usable = np.flatnonzero(c["s_snap"] <= gn.DEFAULT_MAX_SNAP_M)
    directed = c["graph"].to_directed()
    for j in usable:
        node = int(c["s_node"][j])
        old = directed.get_edge_data("S", node, {"length": np.inf})["length"]
        directed.add_edge("S", node, length=min(old, float(c["s_snap"][j])))
    from_sites = nx.multi_source_dijkstra_path_length(directed, {"S"}, weight="length")
    expected = c["d_snap"] + np.array([from_sites.get(int(k), np.inf) for k in c["d_node"]])
    expected[c["d_snap"] > gn.DEFAULT_MAX_SNAP_M] = np.inf

    dist, index = engine.nearest_with_index(sites)
    np.testing.assert_array_equal(np.isinf(dist), np.isinf(expected))
    finite = np.isfinite(expected)
    assert finite.sum() > 1400 and (~finite).sum() >= 2
    np.testing.assert_allclose(dist[finite], expected[finite], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(dist, c["total"].min(axis=1), rtol=1e-12, atol=1e-9)
    # the reported site is one whose own total is the minimum
    assert (index[~finite] == -1).all()
    rows = np.flatnonzero(finite)
    np.testing.assert_allclose(c["total"][rows, index[rows]], dist[rows], rtol=1e-12, atol=1e-9)
    assert (index[rows] != len(sites) - 1).all()  # the off-network site is never the nearest


def test_network_nearest_zero_offsets_matches_multi_source(network_case) -> None:
    """Sites exactly on nodes: plain ``multi_source_dijkstra_path_length`` from those nodes."""
    c = network_case
    nodes = [17, 1234, 2450, 3333, 4801]
    sites = c["net"].xy[nodes]
    lengths = nx.multi_source_dijkstra_path_length(c["graph"], set(nodes), weight="length")
    expected = c["d_snap"] + np.array([lengths.get(int(k), np.inf) for k in c["d_node"]])
    expected[c["d_snap"] > gn.DEFAULT_MAX_SNAP_M] = np.inf
    got = c["engine"].nearest(sites)
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("threshold_m", [300.0, 600.0, 1000.0])
def test_network_within_matches_networkx_cutoff(network_case, threshold_m) -> None:
    """Synthetic until the OSM reader lands; the real-extract version follows.

    ``NetworkEngine.within`` (sparse, stored = distance + 1e-9) against networkx's
    ``single_source_dijkstra_path_length(cutoff=threshold - site snap)`` per site.
    """
    c = network_case
    sites, engine = c["sites"], c["engine"]
    got = sp.csr_array(engine.within(sites, threshold_m))
    assert got.shape == (len(c["demand"]), len(sites))
    expected = np.zeros(got.shape)
    for j in range(len(sites)):
        budget = threshold_m - c["s_snap"][j]
        if c["s_snap"][j] > gn.DEFAULT_MAX_SNAP_M or budget < 0:
            continue
        lengths = nx.single_source_dijkstra_path_length(
            c["graph"], int(c["s_node"][j]), cutoff=budget, weight="length"
        )
        path = np.array([lengths.get(int(k), np.inf) for k in c["d_node"]])
        total = c["d_snap"] + path + c["s_snap"][j]
        total[c["d_snap"] > gn.DEFAULT_MAX_SNAP_M] = np.inf
        assert not np.any(np.abs(total - threshold_m) < TIE_M)
        hit = total <= threshold_m
        expected[hit, j] = total[hit] + 1e-9
    dense = got.toarray()
    np.testing.assert_array_equal(dense > 0, expected > 0)
    np.testing.assert_allclose(dense, expected, rtol=1e-12, atol=1e-9)
    assert got.nnz > 20 * len(sites) * (threshold_m / 1000.0) ** 2


# ====================================================================== walk filter vs osmnx
_CLAUSE = re.compile(r'\["([^"]+)"(?:!~"([^"]*)")?\]')


def _osmnx_walk_clauses() -> list[tuple[str, str | None]]:
    """osmnx's walk filter as (key, regex) pairs: regex ``None`` = the key must exist, otherwise
    the way is dropped when the key's value matches the regex (Overpass ``!~``: unanchored,
    case-sensitive search; a missing key never matches)."""
    text = ox._overpass._get_network_filter("walk")
    clauses = [(k, r if r else None) for k, r in _CLAUSE.findall(text)]
    rebuilt = "".join(f'["{k}"!~"{r}"]' if r else f'["{k}"]' for k, r in clauses)
    assert rebuilt == text, "osmnx's filter has a clause this parser does not understand"
    for clause in _CLAUSE.findall(ox.settings.default_access):
        assert (clause[0], clause[1] or None) in clauses
    return clauses


CLAUSES = _osmnx_walk_clauses()


def _osmnx_walkable(tags: dict[str, Any]) -> bool:
    """Overpass's decision for one way; a list (osmnx merges tags of simplified edges) is walkable
    only when every one of its values would pass on its own."""
    for key, regex in CLAUSES:
        value = tags.get(key)
        values = (
            []
            if value is None
            else [str(v) for v in value]
            if isinstance(value, list)
            else [str(value)]
        )
        if regex is None:
            if not values:
                return False
        elif any(re.search(regex, v) for v in values):
            return False
    return True


_EXCLUDED_ALTERNATIVES = dict(CLAUSES)["highway"].split("|")
HIGHWAYS: list[Any] = [
    *_EXCLUDED_ALTERNATIVES,  # every excluded value itself
    *["motorway", "motorway_link", "motorroad", "none", "disused_no"],  # values containing one
    *["footway", "path", "pedestrian", "steps", "residential", "service", "track", "primary"],
    *["secondary", "tertiary", "unclassified", "living_street", "corridor", "bridleway"],
    *["trunk", "trunk_link", "elevator", "road", "crossing", "Cycleway", ""],
    ["residential", "footway"],
    ["footway", "cycleway"],
    ["motorway_link", "primary"],
]
MODIFIERS: dict[str, list[Any]] = {
    "foot": [None, "no", "yes", "designated", ["yes", "no"], ["yes", "designated"]],
    "access": [None, "private", "yes", "no", "permissive", ["yes", "private"]],
    "service": [None, "private", "parking_aisle", "driveway", ["parking_aisle", "private"]],
    "area": [None, "yes", "no", ["no", "yes"]],
}
SIDEWALKS: list[dict[str, Any]] = [
    {},
    *[{"sidewalk": v} for v in ("separate", "both", "no", "left", "right", "yes")],
    *[
        {k: v}
        for k in ("sidewalk:both", "sidewalk:left", "sidewalk:right")
        for v in ("separate", "no", "yes")
    ],
    {"sidewalk": ["both", "separate"]},
    {"sidewalk:right": ["no", "separate"]},
    {"sidewalk": "both", "sidewalk:left": "separate"},
]


def _tag_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = [{"highway": h} for h in HIGHWAYS]
    cases += [{}, {"foot": "yes"}, {"foot": "designated", "sidewalk": "both"}]  # no highway key
    for h in ("footway", "residential", ["residential", "footway"], "motorway", "cycleway"):
        for values in itertools.product(*MODIFIERS.values()):
            for sidewalk in SIDEWALKS:
                tags: dict[str, Any] = {"highway": h}
                tags.update({k: v for k, v in zip(MODIFIERS, values, strict=True) if v is not None})
                tags.update(sidewalk)
                cases.append(tags)
    return cases


# Overpass's `!~` is an unanchored regex search, so a value that merely *contains* "no",
# "private", "separate" is dropped by osmnx (semicolon multi-values like "private;customers" are
# real OSM tagging). The reader of the pre-refactor code compared whole values and kept these.
SUBSTRING_CASES: list[tuple[dict[str, Any], bool]] = [
    ({"highway": "footway", "foot": "unknown"}, False),
    ({"highway": "footway", "foot": "yes;no"}, False),
    ({"highway": "service", "access": "private;customers"}, False),
    ({"highway": "service", "service": "driveway;private"}, False),
    ({"highway": "residential", "sidewalk": "no;separate"}, False),
    ({"highway": "residential", "sidewalk:left": "separate;no"}, False),
    ({"highway": "residential", "area": "yes;no"}, False),
    # controls: these agree
    ({"highway": "footway", "foot": "designated;yes"}, True),
    ({"highway": "footway", "access": "Private"}, True),  # Overpass regexes are case-sensitive
]


def test_geo_highway_regex_is_osmnx_regex() -> None:
    assert dict(WALK_FILTER)["highway"] == dict(CLAUSES)["highway"]
    assert [(k, p) for k, p in CLAUSES if k != "highway" or p != dict(CLAUSES)["highway"]][1:] == [
        (k, p) for k, p in WALK_FILTER if k != "highway"
    ]
    assert [k for k, _ in CLAUSES] == [
        "highway",
        "area",
        "access",
        "highway",
        "foot",
        "service",
        "sidewalk",
        "sidewalk:both",
        "sidewalk:left",
        "sidewalk:right",
    ]


def test_walkable_matches_osmnx_filter_on_generated_tags() -> None:
    cases = _tag_cases()
    assert len(cases) > 25_000
    wrong = [tags for tags in cases if is_walkable(tags) != _osmnx_walkable(tags)]
    assert wrong == []
    decided = [_osmnx_walkable(t) for t in cases]
    assert 0.05 < np.mean(decided) < 0.5  # both outcomes are well represented
    # every excluded highway alternative on its own is dropped by both
    for value in _EXCLUDED_ALTERNATIVES:
        assert not is_walkable({"highway": value})


@pytest.mark.parametrize(
    ("tags", "osmnx_says"),
    [
        pytest.param(
            tags,
            walkable,
            id=";".join(f"{k}={v}" for k, v in tags.items()),
        )
        for tags, walkable in SUBSTRING_CASES
    ],
)
def test_walkable_substring_values_match_osmnx(tags, osmnx_says) -> None:
    assert _osmnx_walkable(tags) is osmnx_says
    assert is_walkable(tags) is osmnx_says


# ====================================================================== the real OSM extracts
@pytest.fixture(scope="module")
def real_network() -> gn.WalkNetwork:
    net = gn.load_walk_network()
    assert net is not None, "the OSM extracts of the reference data are missing"
    return net


def test_network_nearest_matches_networkx_on_the_real_extracts(study, real_network) -> None:
    """The inner-city streets of both OSM extracts (~100 000 nodes), residents of the centre.

    networkx's ``multi_source_dijkstra_path_length`` runs on the same edges as a ``Graph`` built
    here from the network's edge list, with a virtual source linked to each site node by its
    snapping distance; the engine must give the same metres (to 1e-6 m) for every resident.
    """
    net = real_network
    central = study.demand["zone_code"].isin(["030101", "030102", "030104", "030116"])
    demand_xy = study.demand_xy[central.to_numpy()]
    sites = xy_of(located(study.services, None))
    engine = gn.NetworkEngine(net, demand_xy)
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(
        zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_length.tolist(), strict=True),
        weight="length",
    )
    graph.add_weighted_edges_from(
        zip(net.edge_v.tolist(), net.edge_u.tolist(), net.edge_length.tolist(), strict=True),
        weight="length",
    )
    site_snap = net.snap(sites)
    for node, snap_m, ok in zip(
        site_snap.node, site_snap.snap_m, site_snap.on_network, strict=True
    ):
        if ok:
            old = graph.get_edge_data("S", int(node), {"length": np.inf})["length"]
            graph.add_edge("S", int(node), length=min(old, float(snap_m)))
    from_sites = nx.multi_source_dijkstra_path_length(graph, {"S"}, weight="length")
    expected = engine.demand_snap_m + np.array(
        [from_sites.get(int(k), np.inf) for k in engine.demand_node]
    )
    expected[~engine.demand_on_network] = np.inf
    got = engine.nearest(sites)
    assert len(expected) > 900 and np.isfinite(expected).sum() > 0.95 * len(expected)
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=0, atol=1e-6)


@pytest.mark.parametrize("radius", [500.0, 1250.0])
def test_isochrone_corridor_matches_shapely_buffers_on_the_real_extracts(
    study, real_network, radius
) -> None:
    """The raster corridor against the exact one: ``union_all(buffer(pieces))`` with shapely.

    The street pieces within ``radius`` of Fyrlyset (Urtegata) on the real extracts; the
    polygons must agree in area to 0.5 %, differ by under 1.5 % of it, and every vertex of the
    raster outline must lie within one raster cell (35 / 6 ≈ 5.8 m) of the exact outline.
    """
    from scipy.sparse.csgraph import dijkstra

    net = real_network
    site = xy_of(located(study.services, None))[:1]
    snap = net.snap(site)
    dist = dijkstra(net.csr, directed=True, indices=int(snap.node[0]), limit=radius)
    segs = gn.reached_segments(net, dist + snap.snap_m[0], radius)
    assert len(segs) > 2000
    ours = gn.corridor_polygon(segs, 35.0)
    exact = shapely.union_all(shapely.buffer(shapely.linestrings(segs), 35.0, quad_segs=8))
    assert ours.is_valid
    assert ours.area == pytest.approx(exact.area, rel=0.005)
    assert ours.symmetric_difference(exact).area < 0.015 * exact.area
    outline = shapely.points(shapely.get_coordinates(ours.boundary))
    off = shapely.distance(outline, exact.boundary)
    assert np.median(off) < 1.0
    assert off.max() < 35.0 / 6
