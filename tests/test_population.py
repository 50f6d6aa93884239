import numpy as np
import pytest

from geo.data.population import demand_points, load_population
from geo.network.build import study_engine


def test_population_table_newest_year(population):
    assert population.attrs["population_year"] == 2020
    # SOURCES.md: 2020 rows sum to 691 135 including Marka.
    assert population["population"].sum() == 691_135
    assert population.loc[population["bydel_code"] == "030101", "population"].item() == 58_671


def test_older_year_available(data_dir):
    older = load_population(2016)
    assert older["population"].sum() == 654_796


def test_demand_weights_sum_to_each_bydel_population(bydeler, population):
    demand = demand_points(bydeler, population, cell_m=250)
    by_bydel = demand.groupby("bydel_code")["weight"].sum()
    expected = population.set_index("bydel_code")["population"]
    for code, total in by_bydel.items():
        assert total == pytest.approx(expected[code], rel=1e-9)
    # Marka has no polygon in the 2013 set: reported, not silently dropped.
    assert demand.attrs["unallocated"] == {"030117": 1610}
    assert demand.weight.sum() == pytest.approx(691_135 - 1610)
    assert "jevnt" in demand.attrs["note"]


def test_demand_points_lie_inside_their_bydel(bydeler, population):
    demand = demand_points(bydeler, population, cell_m=500)
    joined = demand.sjoin(
        bydeler[["bydel_code", "geometry"]], predicate="within", lsuffix="d", rsuffix="b"
    )
    assert (joined["bydel_code_d"] == joined["bydel_code_b"]).all()
    assert len(joined) == len(demand)


def test_uniform_density_within_a_bydel(bydeler, population):
    demand = demand_points(bydeler, population, cell_m=250)
    sagene = demand[demand["bydel_code"] == "030103"]
    # Full interior cells have equal weight: the mode of the weights is the full-cell weight.
    full = np.isclose(sagene["weight"], sagene["weight"].max())
    area = bydeler.loc[bydeler["bydel_code"] == "030103"].area.item()
    assert sagene["weight"].max() == pytest.approx(45_089 * 250 * 250 / area, rel=1e-6)
    assert full.sum() > 20


def test_restrict_demand_respreads_within_bydel(study):
    from geo.data.population import restrict_demand

    demand = study.demand
    # Keep only points east of x = 598 000: bydeler split by that line keep their totals.
    keep = demand.geometry.x.to_numpy() > 598_000
    out = restrict_demand(demand, keep, 300)
    before = demand.groupby("bydel_code")["weight"].sum()
    after = out.groupby("bydel_code")["weight"].sum()
    assert after.to_dict() == pytest.approx(before.to_dict())
    # Frogner lies wholly west of the line: it keeps all its points rather than losing its residents.
    frogner = "030105"
    assert (out["bydel_code"] == frogner).sum() == (demand["bydel_code"] == frogner).sum()
    assert len(out) < len(demand)
    assert "gangnettet" in out.attrs["note"]


def test_study_with_network_engine_drops_cells_far_from_streets(study, tmp_path):
    from geo.network.graph import grid_network

    # A synthetic 200 m street grid over part of the inner city (not Oslo's streets: a test fixture).
    net = grid_network(26, 31, spacing_m=200, origin=(595_000, 6_642_000))
    net.save(tmp_path / "network" / "oslo_walk.npz")
    restricted, engine = study_engine(study, "network", data_dir=tmp_path)
    assert engine.kind == "network"
    assert len(restricted.demand) < len(study.demand)
    assert restricted.demand["weight"].sum() == pytest.approx(study.demand["weight"].sum())
    # Cells far from streets remain only in bydeler the grid misses entirely (they keep their residents).
    codes = restricted.demand["bydel_code"].to_numpy()
    off, on = ~engine.demand_on_network, engine.demand_on_network
    assert engine.n_off_network > 0
    assert set(codes[off]).isdisjoint(set(codes[on]))
    # Without a network the study falls back to straight line, and says so.
    empty = tmp_path / "empty"
    empty.mkdir()
    same, fallback = study_engine(study, "network", data_dir=empty)
    assert fallback.kind == "straight" and "luftlinje" in fallback.note
    assert same is study
