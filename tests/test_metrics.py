import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.analysis.metrics import compare_tables, coverage_table, spread_user_data
from geo.analysis.zone_metrics import ZoneIndex, grouped_quantiles, weighted_quantile, zone_metrics
from geo.data.study import with_zone
from geo.distance import StraightLineEngine
from geo.names import CITY_CODE


def test_weighted_quantile_by_hand():
    # distances 100, 200, 300, 400 with weights 1, 1, 1, 7: total 10.
    d, w = np.array([300.0, 100, 400, 200]), np.array([1.0, 1, 7, 1])
    assert weighted_quantile(d, w, 0.5) == 400  # cumulative 1,2,3,10: 5 first reached at 400
    assert weighted_quantile(d, w, 0.3) == 300  # 3 reached at 300
    assert weighted_quantile(d, w, 0.1) == 100
    assert np.isnan(weighted_quantile(d, np.zeros(4), 0.5))


def test_grouped_quantiles_equal_one_group_at_a_time():
    rng = np.random.default_rng(7)
    values = rng.exponential(1000, 5000)
    values[rng.random(5000) < 0.05] = np.inf  # unreachable points sort last
    weights = rng.integers(0, 40, 5000).astype(float)  # some zero weights
    group = rng.integers(-1, 30, 5000)  # -1: in no group
    got = grouped_quantiles(values, weights, group, 31, [0.5, 0.9])
    for g in range(31):
        mine = group == g
        for k, q in enumerate([0.5, 0.9]):
            expected = weighted_quantile(values[mine], weights[mine], q) if mine.any() else np.nan
            assert got[g, k] == expected or (np.isnan(got[g, k]) and np.isnan(expected))


def _two_bydel_case():
    bydeler = gpd.GeoDataFrame(
        {"zone_code": ["030101", "030102"], "zone": ["Gamle Oslo", "Grünerløkka"]},
        geometry=gpd.GeoSeries.from_wkt(
            [
                "POLYGON((0 0,1000 0,1000 1000,0 1000,0 0))",
                "POLYGON((1000 0,2000 0,2000 1000,1000 1000,1000 0))",
            ]
        ),
        crs=25832,
    )
    demand = gpd.GeoDataFrame(
        {"zone_code": ["030101"] * 2 + ["030102"] * 2, "weight": [100.0, 300.0, 200.0, 200.0]},
        geometry=gpd.points_from_xy([100, 900, 1100, 1900], [500] * 4),
        crs=25832,
    )
    services = gpd.GeoDataFrame(
        {"id": ["s1"], "category": ["brukerrom"]},
        geometry=gpd.points_from_xy([100], [500]),
        crs=25832,
    )
    return bydeler, demand, with_zone(services, bydeler)


def test_zone_metrics_by_hand():
    bydeler, demand, services = _two_bydel_case()
    nearest = StraightLineEngine(np.column_stack([demand.geometry.x, demand.geometry.y])).nearest(
        np.array([[100.0, 500.0]])
    )
    assert nearest.tolist() == [0, 800, 1000, 1800]
    index = ZoneIndex.from_demand(demand, bydeler)
    table = zone_metrics(index, nearest, services, threshold_m=900).set_index("zone_code")
    go, gr, city = table.loc["030101"], table.loc["030102"], table.loc[CITY_CODE]
    assert go["population"] == 400 and gr["population"] == 400 and city["population"] == 800
    assert go["n_services"] == 1 and go["n_brukerrom"] == 1 and gr["n_services"] == 0
    assert go["services_per_10k"] == pytest.approx(1e4 / 400)
    assert go["share_within_threshold"] == 1.0  # both points within 900 m
    assert gr["share_within_threshold"] == 0.0
    assert city["share_within_threshold"] == 0.5
    assert go["median_distance_m"] == 800  # weights 100 @0, 300 @800
    assert city["p90_distance_m"] == 1800
    assert city["mean_distance_m"] == pytest.approx(
        (0 * 100 + 800 * 300 + 1000 * 200 + 1800 * 200) / 800
    )
    # LQ: all services in Gamle Oslo with half the people → 1.0 / 0.5 = 2.
    assert go["location_quotient"] == pytest.approx(2.0)
    assert gr["location_quotient"] == 0.0
    assert city["location_quotient"] == 1.0


def test_report_on_reference_data_has_every_metric(study):
    table = coverage_table(study)
    assert len(table) == 17
    assert table["zone"].iloc[-1] == "Hele byen"
    # Residents on 1.1.2026 (SSB), less Marka (1 683) and unknown bydel (2 170): not placed.
    assert table.loc[table["zone_code"] == CITY_CODE, "population"].item() == pytest.approx(
        728_714 - 1_683 - 2_170
    )
    pop = study.population.set_index("bydel_code")["population"]
    for row in table.iloc[:-1].itertuples():
        assert row.population == pytest.approx(pop[row.zone_code])
    metrics = [
        "n_services",
        "services_per_10k",
        "share_within_threshold",
        "median_distance_m",
        "p90_distance_m",
        "location_quotient",
    ]
    assert table[metrics].notna().all().all()
    assert table.attrs["distance_kind"] == "straight"
    assert (table["share_within_threshold"].between(0, 1)).all()
    assert (table["p90_distance_m"] >= table["median_distance_m"]).all()
    assert table["n_services"].iloc[:-1].sum() == table["n_services"].iloc[-1]


def test_candidate_at_known_point_counts_in_its_bydel_and_raises_coverage(study):
    base = coverage_table(study, ["brukerrom"])
    # Holmlia stasjon (59.8356 N, 10.7964 E) lies in Søndre Nordstrand.
    candidate = gpd.GeoDataFrame(
        {"id": ["k"], "name": ["Kandidat"], "category": ["brukerrom"]},
        geometry=gpd.points_from_xy([10.7964], [59.8356]),
        crs=4326,
    ).to_crs(25832)
    new = coverage_table(study, ["brukerrom"], extra_sites=candidate)
    diff = compare_tables(base, new).set_index("zone_code")
    assert diff.loc["030115", "d_n_services"] == 1
    assert diff["d_n_services"].drop(["030115", CITY_CODE]).eq(0).all()
    # No brukerrom in the bydel: the gain is the residents of the grid cells within 500 m.
    demand = study.demand
    near = demand.geometry.distance(candidate.geometry.iloc[0]) <= 500
    in_bydel = demand["zone_code"] == "030115"
    expected = demand.loc[near & in_bydel, "weight"].sum() / demand.loc[in_bydel, "weight"].sum()
    assert 0.05 < expected < 0.2  # Holmlia is densely built
    assert diff.loc["030115", "d_share_within_threshold"] == pytest.approx(expected, rel=1e-9)
    assert (
        diff["d_share_within_threshold"] >= -1e-12
    ).all()  # adding a site never worsens coverage
    assert (diff["d_median_distance_m"] <= 1e-9).all()


def test_threshold_extremes(study):
    far = coverage_table(study, threshold_m=100_000)
    assert (far["share_within_threshold"] == 1).all()
    none = coverage_table(study, threshold_m=-1)
    assert (none["share_within_threshold"] == 0).all()


def test_spread_user_data_aggregate(study):
    users = pd.DataFrame({"bydel_code": ["030101", "030102"], "brukere": [120.0, 30.0]})
    weights = spread_user_data(study.demand, users, "brukere")
    by = pd.Series(weights).groupby(study.demand["zone_code"].to_numpy()).sum()
    assert by["030101"] == pytest.approx(120) and by["030102"] == pytest.approx(30)
    assert by.drop(["030101", "030102"]).eq(0).all()
    table = coverage_table(study, weights=weights)
    assert table.iloc[-1]["population"] == pytest.approx(150)
    assert table.attrs["weight_basis"] == "brukerdata"
