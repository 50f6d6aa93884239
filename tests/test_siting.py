"""Siting: enumeration, greedy, exact MCLP and maximin against brute force; candidates; explanation."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely

from geo import settings
from geo.distance import StraightLineEngine
from geo.siting.candidates import exclude_zones, grid_candidates, node_candidates
from geo.siting.explain import explain_suggestion
from geo.siting.model import CoverageModel, SiteContext, stopped_note
from geo.siting.suggest import SiteRequest


def _random_model(seed: int, n: int = 50, m: int = 10, threshold: float = 260.0) -> CoverageModel:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 1000, (n, 2))
    cand = rng.uniform(0, 1000, (m, 2))
    cost = np.hypot(*(demand[:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    weights = rng.integers(1, 50, n).astype(float)
    covered = rng.random(n) < 0.2
    groups = np.array(["030101", "030109", "030113"])[rng.integers(0, 3, n)]
    return CoverageModel.from_cost_matrix(
        cost,
        weights,
        threshold,
        already_covered=covered,
        groups=groups,
        sites=SiteContext(candidate_xy=cand),
    )


def _brute_force(model: CoverageModel, p: int) -> float:
    return max(model.objective(c) for c in itertools.combinations(range(model.n_candidates), p))


def _brute_force_maximin(model: CoverageModel, p: int) -> float:
    best = -1.0
    for combo in itertools.combinations(range(model.n_candidates), p):
        table = model.by_group(list(combo))
        best = max(best, float(table["share_after"].min()))
    return best


# ---------------------------------------------------------------------- tiny hand example
def test_hand_example_locks_existing_and_counts_only_new_weight():
    # 4 demand points, 3 candidates. Point 0 is already covered by an existing service.
    #            cand0 cand1 cand2
    coverage = [[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1]]
    weights = [100, 10, 20, 5]
    model = CoverageModel(coverage, weights, already_covered=[True, False, False, False])
    # alone: cand0 -> 10 (point 0 is already covered), cand1 -> 20, cand2 -> 25
    assert model.candidate_gains().tolist() == [10, 20, 25]
    assert model.solve_enumeration().chosen == [2]
    # p = 2: {0, 2} = 10 + 20 + 5 = 35 is best ({1, 2} = 25, {0, 1} = 30)
    assert model.solve_exact(2).chosen == [0, 2]
    assert model.solve_exact(2).newly_covered == 35
    assert model.solve_greedy(2).newly_covered == 35


def test_from_cost_matrix_sparse_and_dense_agree():
    dense = np.array([[100.0, np.inf], [600.0, 400.0], [np.nan, 50.0]])
    sparse = sp.csr_array(np.where(np.isfinite(dense), dense + 1e-9, 0))
    a = CoverageModel.from_cost_matrix(dense, [1, 1, 1], 500)
    b = CoverageModel.from_cost_matrix(sparse, [1, 1, 1], 500)
    assert (a.coverage.toarray() == b.coverage.toarray()).all()
    assert a.coverage.toarray().tolist() == [[True, False], [False, True], [False, True]]


# ---------------------------------------------------------------------- against brute force
@pytest.mark.parametrize("seed", range(6))
def test_enumeration_and_greedy_p1_equal_brute_force(seed):
    model = _random_model(seed)
    best = _brute_force(model, 1)
    assert model.solve_enumeration().newly_covered == pytest.approx(best)
    assert model.solve_greedy(1).newly_covered == pytest.approx(best)


@pytest.mark.parametrize(("seed", "p"), [(s, p) for s in range(5) for p in (2, 3, 4)])
def test_exact_equals_brute_force_and_greedy_meets_guarantee(seed, p):
    model = _random_model(seed)
    best = _brute_force(model, p)
    exact = model.solve_exact(p, time_limit_s=10)
    assert exact.solver["status"] == "Optimal"
    assert exact.newly_covered == pytest.approx(best)
    assert exact.solver["objective"] == pytest.approx(best)
    assert exact.solver["gap"] <= 1e-6
    greedy = model.solve_greedy(p)
    assert greedy.newly_covered >= (1 - 1 / math.e) * best - 1e-9
    assert greedy.newly_covered <= best + 1e-9
    assert sum(greedy.solver["marginal_gains"]) == pytest.approx(greedy.newly_covered)


@pytest.mark.parametrize(("seed", "p"), [(0, 1), (1, 2), (2, 2), (3, 3)])
def test_maximin_equals_brute_force_worst_group(seed, p):
    model = _random_model(seed, threshold=300.0)
    result = model.solve_maximin(p, time_limit_s=10, over="all")
    assert result.min_share_after == pytest.approx(_brute_force_maximin(model, p))
    # balance costs total coverage at most: never more than the exact MCLP optimum
    assert result.newly_covered <= _brute_force(model, p) + 1e-9


def test_reduction_merges_identical_rows_and_keeps_objective():
    coverage = [[1, 0], [1, 0], [1, 0], [0, 1], [0, 0]]
    model = CoverageModel(
        coverage, [1, 2, 3, 4, 100], already_covered=[False, False, True, False, False]
    )
    reduced, weights, _ = model.reduced()
    # rows 0 and 1 merge (row 2 already covered, row 4 unreachable): weights 3 and 4
    assert reduced.shape == (2, 2)
    assert sorted(weights.tolist()) == [3, 4]
    assert model.solve_exact(1).chosen == [1]


def test_exact_reports_time_limit_and_gap_fields():
    model = _random_model(0, n=200, m=30)
    result = model.solve_exact(3, time_limit_s=5)
    for key in ("status", "objective", "bound", "gap", "time_s", "n_rows_reduced"):
        assert key in result.solver
    assert result.solver["bound"] >= result.solver["objective"] - 1e-6


def test_bad_p_is_a_clear_error():
    model = _random_model(0, m=3)
    with pytest.raises(ValueError, match="3 kandidater"):
        model.solve_greedy(4)
    with pytest.raises(ValueError, match="enumerate"):
        model.solve("enumerate", p=2)


# ---------------------------------------------------------------------- candidates
def test_grid_candidates_inside_chosen_bydel_and_exclusion(bydeler):
    alna = bydeler[bydeler["bydel_code"] == "030112"]
    grid = grid_candidates(bydeler, 500, within_codes=["Alna"])
    assert len(grid) > 20
    assert grid.crs.to_epsg() == 25832
    assert set(grid["bydel_code"]) == {"030112"}
    assert grid["candidate_id"].str.startswith("grid-").all()
    assert grid.within(alna.geometry.iloc[0].buffer(1)).all()
    xs = grid.geometry.x.to_numpy()
    assert np.allclose(xs % 500, 0)
    # an exclusion square over the western half removes the candidates in it
    minx, miny, maxx, maxy = alna.total_bounds
    zone = gpd.GeoDataFrame(
        geometry=[shapely.box(minx - 1, miny - 1, (minx + maxx) / 2, maxy + 1)],
        crs=settings.ANALYSIS_CRS,
    )
    kept = grid_candidates(bydeler, 500, within_codes=["030112"], exclusion=zone)
    assert 0 < len(kept) < len(grid)
    assert (kept.geometry.x > (minx + maxx) / 2).all()
    assert kept.attrs["excluded"] == len(grid) - len(kept)


def test_unknown_bydel_name_is_a_clear_error(bydeler):
    with pytest.raises(ValueError, match="Ukjent bydel «Alnna»"):
        grid_candidates(bydeler, 500, within_codes=["Alnna"])


def test_exclude_zones_buffer_and_lonlat_zones():
    cand = gpd.GeoDataFrame(
        {"candidate_id": ["a", "b"]},
        geometry=[shapely.Point(597000, 6643000), shapely.Point(600000, 6643000)],
        crs=settings.ANALYSIS_CRS,
    )
    zone = gpd.GeoDataFrame(geometry=[shapely.Point(597100, 6643000)], crs=settings.ANALYSIS_CRS)
    assert exclude_zones(cand, zone, buffer_m=50)["candidate_id"].tolist() == ["a", "b"]
    assert exclude_zones(cand, zone, buffer_m=150)["candidate_id"].tolist() == ["b"]
    lonlat = zone.to_crs(settings.DISPLAY_CRS).set_crs(None, allow_override=True)
    assert exclude_zones(cand, lonlat, buffer_m=150)["candidate_id"].tolist() == ["b"]


def test_node_candidates_sample_is_repeatable(bydeler):
    rng = np.random.default_rng(0)
    minx, miny, maxx, maxy = bydeler.total_bounds
    nodes = np.column_stack([rng.uniform(minx, maxx, 3000), rng.uniform(miny, maxy, 3000)])
    a = node_candidates(nodes, bydeler, n=50, within_codes=["030101", "030102"], seed=4)
    b = node_candidates(nodes, bydeler, n=50, within_codes=["030101", "030102"], seed=4)
    assert len(a) == 50
    assert a["candidate_id"].tolist() == b["candidate_id"].tolist()
    assert set(a["bydel_code"]) <= {"030101", "030102"}


# ---------------------------------------------------------------------- geodataframe + explain
def _toy_geo():
    demand = gpd.GeoDataFrame(
        {
            "demand_id": range(4),
            "zone_code": ["030101", "030101", "030112", "030112"],
            "weight": [100.0, 50.0, 80.0, 20.0],
        },
        geometry=shapely.points([(0, 0), (300, 0), (2000, 0), (2300, 0)]),
        crs=settings.ANALYSIS_CRS,
    )
    candidates = gpd.GeoDataFrame(
        {"candidate_id": ["c-west", "c-east"], "zone_code": ["030101", "030112"]},
        geometry=shapely.points([(250, 0), (2150, 0)]),
        crs=settings.ANALYSIS_CRS,
    )
    existing = gpd.GeoDataFrame(
        {"name": ["Brukerrommet"], "zone_code": ["030101"], "category": ["brukerrom"]},
        geometry=[shapely.Point(0, 100)],
        crs=settings.ANALYSIS_CRS,
    )
    return demand, candidates, existing


def test_from_geodataframe_and_explain_hand_example():
    demand, candidates, existing = _toy_geo()
    engine = StraightLineEngine(np.column_stack([demand.geometry.x, demand.geometry.y]))
    model = CoverageModel.from_geodataframe(demand, candidates, engine, 500, existing)
    # the existing site (0, 100) covers points 0 and 1 (distances 100 and 316 m)
    assert model.already_covered.tolist() == [True, True, False, False]
    result = model.solve_enumeration()
    assert result.chosen == ["c-east"]
    assert result.newly_covered == 100.0
    assert result.share_before == pytest.approx(150 / 250)
    assert result.share_after == pytest.approx(1.0)
    explanation = explain_suggestion(
        model, result, groups={"030101": "Indre by", "030112": "Ytre øst"}
    )
    site = explanation.sites.iloc[0]
    assert site["zone"] == "Alna"
    assert site["new_weight"] == 100.0
    assert "Alna: 100" in site["gaining_zones"]
    assert site["nearest_existing"] == "Brukerrommet"
    assert site["nearest_existing_m"] == pytest.approx(math.hypot(2150, 100))
    bal = explanation.balance.set_index("metric")
    # before: shares (1.0, 0.0) with weights (150, 100) -> G = 150*100*1*2 / (2*250^2*0.6) = 0.4
    assert bal.loc["gini", "before"] == pytest.approx(0.4)
    assert bal.loc["gini", "after"] == pytest.approx(0.0)
    # services: 1 in Gamle Oslo before -> H = 1; after 1 + 1 -> H = 0.5
    assert bal.loc["herfindahl", "before"] == pytest.approx(1.0)
    assert bal.loc["herfindahl", "after"] == pytest.approx(0.5)
    assert bal.loc["central_service_share", "after"] == pytest.approx(0.5)
    assert any("Alna" in line for line in explanation.lines)


def test_precomputed_sparse_coverage_is_accepted():
    demand, candidates, existing = _toy_geo()
    engine = StraightLineEngine(np.column_stack([demand.geometry.x, demand.geometry.y]))
    matrix = engine.within(np.column_stack([candidates.geometry.x, candidates.geometry.y]), 500)
    model = CoverageModel.from_geodataframe(
        demand, candidates, engine, 500, existing, coverage=matrix
    )
    assert model.solve_exact(1).chosen == ["c-east"]
    frame = model.by_group([1])
    assert frame.set_index("zone_code").loc["030112", "share_after"] == 1.0
    assert isinstance(frame, pd.DataFrame)


def test_suggest_sites_on_real_oslo_data(study):
    from geo.siting.suggest import suggest_sites

    engine = study.straight_engine()
    suggestion = suggest_sites(
        study,
        engine,
        SiteRequest(500, p=1, method="enumerate", categories=["brukerrom"], grid_m=1000),
    )
    result = suggestion.result
    assert result.newly_covered > 0
    # every candidate was scored; the best equals the top of the ranking
    assert result.ranking is not None
    assert result.ranking["new_weight"].iloc[0] == pytest.approx(result.newly_covered)
    by = result.by_group.set_index("zone_code")
    assert by["weight"].sum() == pytest.approx(study.demand["weight"].sum())
    assert (by["share_after"] >= by["share_before"] - 1e-12).all()
    assert len(suggestion.explanation.balance) >= 10


def test_maximin_degenerate_case_falls_back_to_mclp():
    # three groups at 0 % and one site: the minimum cannot rise, so the answer is the MCLP one
    coverage = [[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1]]
    model = CoverageModel(coverage, [5, 3, 3, 1], groups=["a", "b", "b", "c"])
    result = model.solve_maximin(1)
    assert result.solver["min_can_rise"] is False
    assert result.chosen == model.solve_exact(1).chosen == [1]
    assert result.solver["min_share"] == 0.0


def test_maximin_trades_total_coverage_for_balance_hand_example():
    # group a: points 0 (60) and 1 (40); group b: point 2 (10).
    # cand0 covers points 0 and 1 (100), cand1 covers point 2 (10), cand2 covers point 0 (60).
    # p = 1: only one group can be reached, so the minimum (b at 0 %) cannot rise -> MCLP answer.
    # p = 2: {0, 1} lifts both groups to 100 %.
    coverage = [[1, 0, 1], [1, 0, 0], [0, 1, 0]]
    model = CoverageModel(coverage, [60, 40, 10], groups=["a", "a", "b"])
    exact = model.solve_exact(1)
    maximin = model.solve_maximin(1, over="all")
    assert exact.chosen == [0]  # 100 people, but group b stays at 0 %
    assert maximin.chosen == [0] and maximin.solver["min_can_rise"] is False
    two = model.solve_maximin(2, over="all")
    # with two sites both groups can be reached; the best minimum is 100 % (a) vs 100 % (b)
    assert sorted(two.chosen) == [0, 1]
    assert two.min_share_after == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(3))
def test_maximin_with_group_map_equals_brute_force(seed):
    model = _random_model(seed, n=60, m=9, threshold=300.0)
    group_map = {"030101": "Indre by", "030109": "Ytre", "030113": "Ytre"}
    result = model.solve_maximin(2, group_map=group_map, over="all")
    best = -1.0
    for combo in itertools.combinations(range(model.n_candidates), 2):
        table = model.by_group(list(combo))
        table["g"] = table["zone_code"].map(group_map)
        grouped = table.groupby("g")[["covered_after", "weight"]].sum()
        best = max(best, float((grouped["covered_after"] / grouped["weight"]).min()))
    assert result.solver["min_share"] == pytest.approx(best)


def test_cli_suggest_json_and_bad_input(capsys):
    import json

    from geo.cli.main import main

    code = main(
        [
            "suggest",
            "--categories",
            "brukerrom",
            "--grid",
            "1000",
            "--cell",
            "250",
            "--p",
            "2",
            "--method",
            "exact",
            "--format",
            "json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    payload = json.loads(out)
    assert payload["method"] == "exact" and len(payload["chosen"]) == 2
    assert payload["solver"]["status"] == "Optimal"
    assert payload["share_after"] > payload["share_before"]
    assert {row["metric"] for row in payload["balance"]} >= {"gini", "theil", "herfindahl"}
    code = main(["suggest", "--grid", "1000", "--cell", "250", "--bydeler", "Atlantis"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Atlantis" in err and "Traceback" not in err


def test_chosen_sites_are_display_points(study):
    from geo.siting.suggest import chosen_sites, suggest_sites

    suggestion = suggest_sites(
        study,
        study.straight_engine(),
        SiteRequest(500, p=2, method="greedy", categories=["brukerrom"], grid_m=1000),
    )
    frame = chosen_sites(suggestion)
    assert frame.crs.to_epsg() == 4326
    assert frame["rank"].tolist() == [1, 2]
    assert frame.geometry.x.between(10.4, 11.0).all() and frame.geometry.y.between(59.7, 60.2).all()


@pytest.mark.parametrize("p", [1, 2, 3])
def test_exact_with_tied_and_duplicate_candidates_equals_brute_force(p):
    # candidates 0-2 are copies, 3-4 copies: pruning by the submodular bound must keep an optimum
    base = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 1]], dtype=bool)
    coverage = np.column_stack(
        [base[:, 0], base[:, 0], base[:, 0], base[:, 1], base[:, 1], base[:, 2]]
    )
    model = CoverageModel(coverage, [4, 4, 4, 4, 4])
    exact = model.solve_exact(p)
    assert exact.newly_covered == pytest.approx(_brute_force(model, p))
    assert exact.solver["n_candidates_kept"] >= p


def test_a_solver_stopped_at_its_time_limit_says_so_with_its_gap() -> None:
    assert stopped_note({"status": "Optimal", "gap": 0.0}) is None
    exact = stopped_note({"status": "Time limit reached", "gap": 0.2111, "time_limit_s": 2.0})
    assert exact is not None
    assert "ved tidsgrensen (2 s)" in exact and "gap 21,1 %" in exact
    balance = stopped_note(
        {
            "status": "Time limit reached",
            "gap": float("nan"),
            "time_limit_s": 2.0,
            "min_share": 0.004539,
            "min_share_bound": 0.0418,
        }
    )
    assert balance is not None
    assert "gap ukjent" in balance
    assert "laveste gruppeandel i forslaget 0,5 %" in balance and "høyst 4,2 %" in balance


def test_balance_start_lifts_the_lowest_groups_first_and_stands_in_at_the_time_limit():
    # group a: points 0, 1, 4 (50 each); b: point 2 (10); c: point 3 (10), all uncovered.
    # cand0 covers 0+1 (100), cand1 covers 4 (50), cand2 covers b, cand3 covers c. p = 3.
    # By total gain a greedy takes cand0 and cand1 first and leaves b or c at 0 %; lifting the
    # lowest groups first gives {0, 2, 3}: a 2/3, b and c 100 % (the best minimum, 2/3).
    from geo.siting.maximin import _balance_start

    coverage = [[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 1, 0, 0]]
    model = CoverageModel(coverage, [50, 50, 10, 10, 50], groups=["a", "a", "b", "c", "a"])
    reduced, weights, row_groups = model.reduced(model.groups)
    per_group = pd.DataFrame({"g": model.groups, "w": model.weights, "c": 0.0}).groupby("g").sum()
    assert sorted(_balance_start(reduced, weights, row_groups, per_group, 3)) == [0, 2, 3]
    assert _brute_force_maximin(model, 3) == pytest.approx(2 / 3)
    # with no time to search, the answer is still a feasible one at least as good as the start
    quick = model.solve_maximin(3, time_limit_s=0.0, over="all")
    assert quick.min_share_after == pytest.approx(2 / 3)
    assert len(quick.chosen) == 3
