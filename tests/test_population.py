import numpy as np
import pytest

from geo.population import demand_points, load_population


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
