"""What-if engine: incremental scenarios must equal full recomputations, checked by hand and at random."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import network as gn
from geo import settings
from geo.analysis.metrics import compare_tables, coverage_table
from geo.analysis.whatif import WhatIf, candidate_coverage
from geo.data.services import located
from geo.data.study import Study
from geo.distance import StraightLineEngine
from geo.geom import xy_of

X0, Y0 = 597_000.0, 6_643_000.0
A, B = "030101", "030102"  # two FICTITIOUS square test "bydeler" (codes borrowed for labels)


def line_network() -> gn.WalkNetwork:
    """A 1 km street along x with a node every 100 m."""
    return gn.WalkNetwork.from_edges(
        np.arange(11) * 100.0 + X0, np.full(11, Y0), range(10), range(1, 11), source="test"
    )


def two_bydeler() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"zone_code": [A, B], "zone": ["Gamle Oslo", "Grünerløkka"]},
        geometry=[
            shapely.box(X0 - 50, Y0 - 50, X0 + 450, Y0 + 50),
            shapely.box(X0 + 450, Y0 - 50, X0 + 1050, Y0 + 50),
        ],
        crs=settings.ANALYSIS_CRS,
    )


def line_demand() -> gpd.GeoDataFrame:
    xs = np.arange(11) * 100.0 + X0
    return gpd.GeoDataFrame(
        {"demand_id": range(11), "zone_code": [A] * 5 + [B] * 6, "weight": 10.0},
        geometry=gpd.points_from_xy(xs, np.full(11, Y0)),
        crs=settings.ANALYSIS_CRS,
    )


def services_at(xs: list[float], ids: list[str] | None = None) -> gpd.GeoDataFrame:
    ids = ids or [f"s{k + 1}" for k in range(len(xs))]
    return gpd.GeoDataFrame(
        {"id": ids, "name": ids, "category": "brukerrom"},
        geometry=gpd.points_from_xy(np.asarray(xs) + X0, np.full(len(xs), Y0)),
        crs=settings.ANALYSIS_CRS,
    )


def line_whatif(engine_kind: str = "network", threshold_m: float = 250.0) -> WhatIf:
    demand = line_demand()
    xy = np.c_[demand.geometry.x, demand.geometry.y]
    engine = (
        gn.NetworkEngine(line_network(), xy) if engine_kind == "network" else StraightLineEngine(xy)
    )
    return WhatIf(engine, demand, services_at([0, 1000]), two_bydeler(), threshold_m=threshold_m)


def row(table: pd.DataFrame, code: str) -> pd.Series:
    return table.set_index("zone_code").loc[code]


@pytest.mark.parametrize("kind", ["network", "straight"])
def test_baseline_by_hand(kind: str) -> None:
    w = line_whatif(kind)
    np.testing.assert_allclose(w.nearest_m, [0, 100, 200, 300, 400, 500, 400, 300, 200, 100, 0])
    # within 250 m: x = 0, 100, 200 (A) and 800, 900, 1000 (B)
    assert row(w.baseline, A)["residents_within_threshold"] == pytest.approx(30.0)
    assert row(w.baseline, B)["residents_within_threshold"] == pytest.approx(30.0)
    assert row(w.baseline, "0301")["share_within_threshold"] == pytest.approx(6 / 11)


@pytest.mark.parametrize("kind", ["network", "straight"])
def test_add_a_site_by_hand(kind: str) -> None:
    w = line_whatif(kind)
    result = w.add([[X0 + 500, Y0]])
    np.testing.assert_allclose(result.nearest_m, [0, 100, 200, 200, 100, 0, 100, 200, 200, 100, 0])
    assert row(result.table, A)["residents_within_threshold"] == pytest.approx(50.0)
    assert row(result.table, B)["residents_within_threshold"] == pytest.approx(60.0)
    diff = result.diff.set_index("zone_code")
    assert diff.loc[A, "d_residents_within_threshold"] == pytest.approx(20.0)
    assert diff.loc[B, "d_residents_within_threshold"] == pytest.approx(30.0)
    assert diff.loc[B, "d_n_services"] == 1 and diff.loc[A, "d_n_services"] == 0
    # the new site is a labelled hypothetical row, and the nearest-site index points at it
    assert result.sites["coord_quality"].iloc[-1] == "fiktiv"
    assert result.nearest_site[5] == len(result.sites) - 1
    # the baseline is untouched
    np.testing.assert_allclose(w.nearest_m, [0, 100, 200, 300, 400, 500, 400, 300, 200, 100, 0])


@pytest.mark.parametrize("kind", ["network", "straight"])
def test_remove_and_move_by_hand(kind: str) -> None:
    w = line_whatif(kind)
    removed = w.remove(["s2"])
    np.testing.assert_allclose(removed.nearest_m, np.arange(11) * 100.0)
    assert row(removed.table, B)["residents_within_threshold"] == pytest.approx(0.0)
    assert row(removed.table, B)["n_services"] == 0
    moved = w.move({"s1": (X0 + 300, Y0)})
    np.testing.assert_allclose(moved.nearest_m, [300, 200, 100, 0, 100, 200, 300, 300, 200, 100, 0])
    assert moved.sites["name"].iloc[-1] == "s1 (flyttet i scenario)"
    assert moved.sites["category"].iloc[-1] == "brukerrom"
    assert moved.sites["coord_quality"].iloc[-1] == "fiktiv"
    nothing = w.remove(["s1", "s2"])
    assert np.all(np.isinf(nothing.nearest_m)) and np.all(nothing.nearest_site == -1)
    with pytest.raises(KeyError):
        w.remove(["no-such-site"])


def test_river_town_remove_recomputes_across_the_bridge() -> None:
    # streets at y=0 and y=100 joined only at x=200; one site on each street
    xy = np.array([[0, 0], [100, 0], [200, 0], [0, 100], [100, 100], [200, 100]], float)
    net = gn.WalkNetwork.from_edges(xy[:, 0] + X0, xy[:, 1] + Y0, [0, 1, 3, 4, 2], [1, 2, 4, 5, 5])
    demand = gpd.GeoDataFrame(
        {"zone_code": [A, A, A, B, B, B], "weight": 1.0},
        geometry=gpd.points_from_xy(xy[:, 0] + X0, xy[:, 1] + Y0),
        crs=settings.ANALYSIS_CRS,
    )
    bydeler = gpd.GeoDataFrame(
        {"zone_code": [A, B], "zone": ["a", "b"]},
        geometry=[
            shapely.box(X0 - 50, Y0 - 50, X0 + 250, Y0 + 50),
            shapely.box(X0 - 50, Y0 + 50, X0 + 250, Y0 + 150),
        ],
        crs=settings.ANALYSIS_CRS,
    )
    services = gpd.GeoDataFrame(
        {"id": ["south", "north"], "category": "brukerrom"},
        geometry=gpd.points_from_xy([X0, X0], [Y0, Y0 + 100]),
        crs=settings.ANALYSIS_CRS,
    )
    w = WhatIf(
        gn.NetworkEngine(net, np.c_[xy[:, 0] + X0, xy[:, 1] + Y0]), demand, services, bydeler
    )
    np.testing.assert_allclose(w.nearest_m, [0, 100, 200, 0, 100, 200])
    result = w.remove(["north"])
    # the north street is now reached from the south site over the bridge: 200 + 100 + ...
    np.testing.assert_allclose(result.nearest_m, [0, 100, 200, 500, 400, 300])


def random_case(
    seed: int, shortest_factor: float = 1.0
) -> tuple[gn.NetworkEngine, gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A grid town with a third of its streets gone; lengths × U(shortest_factor, 1.5)."""
    rng = np.random.default_rng(seed)
    net = gn.grid_network(25, 25, spacing_m=40.0, origin=(X0, Y0))
    # knock out a third of the streets so paths detour and pieces can be cut off entirely
    keep = rng.random(net.n_edges) > 0.33
    net = gn.WalkNetwork.from_edges(
        net.x,
        net.y,
        net.edge_u[keep],
        net.edge_v[keep],
        net.edge_length[keep] * rng.uniform(shortest_factor, 1.5, keep.sum()),
    )
    n = 150
    xy = np.c_[X0 + rng.uniform(-20, 980, n), Y0 + rng.uniform(-20, 980, n)]
    demand = gpd.GeoDataFrame(
        {
            "zone_code": np.where(xy[:, 0] < X0 + 480, A, B),
            "weight": rng.integers(1, 20, n).astype(float),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=settings.ANALYSIS_CRS,
    )
    bydeler = gpd.GeoDataFrame(
        {"zone_code": [A, B], "zone": ["a", "b"]},
        geometry=[
            shapely.box(X0 - 100, Y0 - 100, X0 + 480, Y0 + 1100),
            shapely.box(X0 + 480, Y0 - 100, X0 + 1100, Y0 + 1100),
        ],
        crs=settings.ANALYSIS_CRS,
    )
    m = 6
    sxy = np.c_[X0 + rng.uniform(0, 960, m), Y0 + rng.uniform(0, 960, m)]
    services = gpd.GeoDataFrame(
        {"id": [f"s{k}" for k in range(m)], "category": "brukerrom"},
        geometry=gpd.points_from_xy(sxy[:, 0], sxy[:, 1]),
        crs=settings.ANALYSIS_CRS,
    )
    return gn.NetworkEngine(net, xy, max_snap_m=60.0), demand, services, bydeler


@pytest.mark.parametrize("shortest_factor", [1.0, 0.5])
@pytest.mark.parametrize("seed", range(8))
def test_random_scenarios_equal_full_recomputation(seed: int, shortest_factor: float) -> None:
    """Incremental add/remove/move equals a full search, on both search strategies.

    With every edge at least its straight line (factor 1) an added site searches only the
    nodes that could improve; with shorter edges (factor 0.5) that bound does not hold and the
    search grows its radius instead.
    """
    engine, demand, services, bydeler = random_case(seed, shortest_factor)
    assert engine.network.lengths_cover_straight_line is (shortest_factor >= 1)
    w = WhatIf(engine, demand, services, bydeler, threshold_m=200.0)
    rng = np.random.default_rng(100 + seed)
    add = np.c_[X0 + rng.uniform(0, 960, 2), Y0 + rng.uniform(0, 960, 2)]
    remove = list(rng.choice(w.site_ids, size=2, replace=False))
    mover = next(s for s in w.site_ids if s not in remove)
    to = (X0 + rng.uniform(0, 960), Y0 + rng.uniform(0, 960))
    result = w.scenario(add=add, remove=remove, move={mover: to})

    kept = services[~services["id"].isin([*remove, mover])]
    final_xy = np.vstack([np.c_[kept.geometry.x, kept.geometry.y], add, [to]])
    full = engine.nearest(final_xy)
    np.testing.assert_allclose(result.nearest_m, full, rtol=1e-9, atol=1e-6)
    # and the table equals one built from scratch on the changed registry
    scratch = WhatIf(engine, demand, result.services, bydeler, threshold_m=200.0)
    pd.testing.assert_frame_equal(result.table, scratch.baseline, check_exact=False, rtol=1e-9)
    # the difference kept as columns equals the one merged from the two tables
    merged = compare_tables(w.baseline, result.table)
    pd.testing.assert_frame_equal(result.diff, merged, check_exact=False, rtol=1e-9)
    # nearest-site index points at a site that really is that far away
    idx = result.nearest_site
    ok = idx >= 0
    sxy = np.c_[result.sites.geometry.x, result.sites.geometry.y]
    for i in np.flatnonzero(ok)[:20]:
        assert engine.nearest(sxy[idx[i] : idx[i] + 1])[i] == pytest.approx(result.nearest_m[i])


@pytest.mark.parametrize("seed", range(6))
def test_adding_never_worsens_and_removing_never_improves(seed: int) -> None:
    engine, demand, services, bydeler = random_case(seed)
    w = WhatIf(engine, demand, services, bydeler, threshold_m=200.0)
    rng = np.random.default_rng(seed)
    added = w.add(np.c_[X0 + rng.uniform(0, 960, 1), Y0 + rng.uniform(0, 960, 1)])
    assert np.all(added.nearest_m <= w.nearest_m)
    assert np.all(added.diff["d_residents_within_threshold"] >= -1e-9)
    np.testing.assert_allclose(
        added.nearest_m,
        engine.nearest(
            np.vstack(
                [
                    np.c_[services.geometry.x, services.geometry.y],
                    added.sites.geometry.iloc[-1].coords[0],
                ]
            )
        ),
        atol=1e-6,
    )
    removed = w.remove([w.site_ids[seed % len(w.site_ids)]])
    assert np.all(removed.nearest_m >= w.nearest_m)
    assert np.all(removed.diff["d_residents_within_threshold"] <= 1e-9)


def test_straight_scenario_equals_full() -> None:
    _, demand, services, bydeler = random_case(1)
    xy = np.c_[demand.geometry.x, demand.geometry.y]
    engine = StraightLineEngine(xy)
    w = WhatIf(engine, demand, services, bydeler, threshold_m=200.0)
    result = w.scenario(add=[[X0 + 500, Y0 + 500]], remove=["s0"])
    kept = services[services["id"] != "s0"]
    full = engine.nearest(
        np.vstack([np.c_[kept.geometry.x, kept.geometry.y], [[X0 + 500, Y0 + 500]]])
    )
    np.testing.assert_allclose(result.nearest_m, full)


def test_rank_candidates_by_hand() -> None:
    w = line_whatif("network")
    cands = np.array([[X0 + 500, Y0], [X0 + 130, Y0], [X0 + 1000, Y0]])
    coverage = w.candidate_coverage(cands, ["mid", "west", "east"])
    assert coverage.matrix.shape == (11, 3)
    ranking = w.rank_candidates(coverage)
    total = ranking.total.set_index("candidate_id")
    # mid reaches x=300..700, all uncovered now: 5 points × 10
    assert total.loc["mid", "new_weight"] == pytest.approx(50.0)
    assert total.loc["mid", "new_points"] == 5
    # west snaps 30 m to x=100: x=300 is 30 + 200 = 230 m away (new), x=400 is 330 m
    assert total.loc["west", "new_weight"] == pytest.approx(10.0)
    assert total.loc["east", "new_weight"] == pytest.approx(0.0)
    assert ranking.total["candidate_id"].tolist() == ["mid", "west", "east"]
    assert ranking.total["rank"].tolist() == [1, 2, 3]
    per = ranking.by_zone.set_index("candidate_id")
    assert per.loc["mid", A] == pytest.approx(20.0) and per.loc["mid", B] == pytest.approx(30.0)
    # user-data weights instead of residents
    weights = np.zeros(11)
    weights[3] = 7.0
    user = w.rank_candidates(coverage, weights=weights).total.set_index("candidate_id")
    assert user.loc["mid", "new_weight"] == pytest.approx(7.0)
    assert user.loc["west", "new_weight"] == pytest.approx(7.0)


def test_rank_score_equals_what_if_gain() -> None:
    engine, demand, services, bydeler = random_case(4)
    w = WhatIf(engine, demand, services, bydeler, threshold_m=200.0)
    rng = np.random.default_rng(9)
    cands = np.c_[X0 + rng.uniform(0, 960, 15), Y0 + rng.uniform(0, 960, 15)]
    ranking = w.rank_candidates(cands)
    for _, r in ranking.total.head(5).iterrows():
        gain = (
            w.add([[r["x"], r["y"]]])
            .diff.set_index("zone_code")
            .loc["0301", "d_residents_within_threshold"]
        )
        assert r["new_weight"] == pytest.approx(gain)


def test_candidate_coverage_straight_matches_engine() -> None:
    demand = line_demand()
    engine = StraightLineEngine(np.c_[demand.geometry.x, demand.geometry.y])
    cov = candidate_coverage(engine, np.array([[X0 + 500, Y0 + 30]]), 150.0)
    stored = np.flatnonzero(cov.matrix.toarray()[:, 0] > 0)
    np.testing.assert_array_equal(stored, [4, 5, 6])
    assert cov.distance_kind == "straight"


def oslo_grid(spacing: float = 250.0) -> gn.WalkNetwork:
    """A SYNTHETIC street grid over Oslo's bounding box (not the real network)."""
    minx, miny, maxx, maxy = settings.OSLO_BBOX_25832
    return gn.grid_network(
        int((maxx - minx) // spacing) + 1, int((maxy - miny) // spacing) + 1, spacing, (minx, miny)
    )


def test_what_if_on_real_oslo_bydeler_equals_coverage_table(study: Study) -> None:
    engine = gn.NetworkEngine(oslo_grid(), study.demand_xy)
    w = WhatIf(engine, study.demand, study.services, study.zones, threshold_m=1000.0)
    baseline = coverage_table(study, threshold_m=1000.0, engine=engine)
    pd.testing.assert_frame_equal(w.baseline, baseline, check_exact=False, rtol=1e-9)
    # a hypothetical site inside Grorud (fictitious scenario point)
    grorud_point = study.zones.set_index("zone_code").geometry.loc["030110"].representative_point()
    x, y = grorud_point.x, grorud_point.y
    result = w.add([[x, y]])
    extra = gpd.GeoDataFrame(
        {"category": ["annet"]}, geometry=[shapely.Point(x, y)], crs=settings.ANALYSIS_CRS
    )
    full = coverage_table(study, threshold_m=1000.0, engine=engine, extra_sites=extra)
    pd.testing.assert_frame_equal(result.table, full, check_exact=False, rtol=1e-9)
    grorud = result.diff.set_index("zone_code").loc["030110"]
    assert grorud["d_n_services"] == 1
    assert grorud["d_residents_within_threshold"] > 0


def test_added_sites_on_the_real_extracts_equal_a_full_search(study: Study) -> None:
    """Ten sites dropped one at a time across the inner city's real streets."""
    net = gn.load_walk_network()
    assert net is not None and net.lengths_cover_straight_line
    engine = gn.NetworkEngine(net, study.demand_xy)
    w = WhatIf(engine, study.demand, study.services, study.zones, threshold_m=500.0)
    rng = np.random.default_rng(7)
    on = study.demand_xy[engine.demand_on_network]
    base = np.vstack([xy_of(located(study.services, None))])
    for xy in on[rng.choice(len(on), 10, replace=False)]:
        got = w.add([xy]).nearest_m
        np.testing.assert_allclose(got, engine.nearest(np.vstack([base, xy])), atol=1e-6)
        assert np.all(got <= w.nearest_m)


def test_fast_difference_equals_compare_tables() -> None:
    from geo.analysis.metrics import compare_tables

    w = line_whatif("network")
    result = w.scenario(add=[[X0 + 500, Y0]], remove=["s1"])
    pd.testing.assert_frame_equal(result.diff, compare_tables(w.baseline, result.table))


def test_cli_whatif_and_rank(capsys: pytest.CaptureFixture[str], data_dir: object) -> None:
    from geo.cli.main import main

    # Karl Johans gate (a hypothetical extra site); the real extracts reach the inner city only
    assert (
        main(["whatif", "--add", "59.9127,10.7461", "--distance", "network", "--cell", "500"]) == 0
    )
    out = capsys.readouterr().out
    assert "Gangavstand langs gangnettet (OpenStreetMap) i " in out and "målt i luftlinje" in out
    assert "Endring fra dagens situasjon" in out and "Hele byen" in out
    assert main(["whatif", "--remove", "no-such-site", "--cell", "500"]) == 2
    assert "Ukjent lokasjon: no-such-site" in capsys.readouterr().err
    candidates = str(settings.project_data_dir() / "candidates_example.csv")
    assert main(["rank-candidates", "--candidates", candidates, "--cell", "500", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "FIKTIV" in out and "new_weight" in out
    assert main(["rank-candidates", "--cell", "500"]) == 2
