"""Residents per bydel (SSB series), on SSB's grid, and the need proxy: real reference data and broken files."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from geo import settings
from geo.data.boundaries import load_bydeler, load_delbydeler
from geo.data.demand import DEMAND_COLUMNS, grid_demand, load_demand, uniform_demand
from geo.data.need import NEED_LABEL, SENTRUM_RULE, TABLE_RULE, need_weights, read_need_shares
from geo.data.population import load_bydel_series
from geo.data.population_grid import cell_centres, read_grid
from geo.errors import InputError
from geo.names import BYDEL_CODES

DATA = settings.data_dir()
SERIES = DATA / "population/ssb_bydel_population_2015_2026.csv"
GRID100 = DATA / "population/ssb_befolkning_100m_oslo_2015.csv"
GRID250 = DATA / "population/ssb_befolkning_250m_norge_2015.csv.gz"
INDICATORS = DATA / "population/need_indicators_by_bydel.csv"
YEARS = list(range(2015, 2027))
POLYGON_BYDELER = [f"0301{i:02d}" for i in range(1, 17)]


@pytest.fixture(scope="module")
def bydeler() -> gpd.GeoDataFrame:
    return load_bydeler()


@pytest.fixture(scope="module")
def delbydeler() -> gpd.GeoDataFrame:
    return load_delbydeler()


@pytest.fixture(scope="module")
def pop2015() -> pd.DataFrame:
    return load_bydel_series(SERIES, 2015)


@pytest.fixture(scope="module")
def demand100(bydeler, delbydeler) -> gpd.GeoDataFrame:
    return grid_demand(GRID100, bydeler, load_bydel_series(SERIES), delbydeler=delbydeler)


@pytest.fixture(scope="module")
def demand250(bydeler, delbydeler, pop2015) -> gpd.GeoDataFrame:
    return grid_demand(GRID250, bydeler, pop2015, delbydeler=delbydeler)


@pytest.fixture(scope="module")
def raw100() -> pd.DataFrame:
    return pd.read_csv(GRID100, sep=" ", dtype={"rute_100m": np.int64, "sum": np.int64})


def _figures(pop: pd.DataFrame) -> pd.Series:
    return pop.set_index("bydel_code")["population"]


# ---------------------------------------------------------------------------------------------
# Bydel series
# ---------------------------------------------------------------------------------------------


def test_series_newest_year_by_default():
    pop = load_bydel_series(SERIES)
    assert pop.attrs["population_year"] == 2026
    assert list(pop["bydel_code"]) == [f"0301{i:02d}" for i in range(1, 18)]
    assert pop["population"].dtype == np.int64
    assert pop.attrs["city_total"] == 728_714
    assert pop.attrs["unknown_bydel"] == 2_170
    assert pop.attrs["years"] == YEARS
    assert _figures(pop)["030116"] == 1_486 and _figures(pop)["030117"] == 1_683


@pytest.mark.parametrize(("year", "total"), [(2024, 717_710), (2025, 724_290), (2016, 658_390)])
def test_series_totals_as_published(year, total):
    pop = load_bydel_series(SERIES, year)
    assert pop.attrs["city_total"] == total
    assert pop["population"].sum() + pop.attrs["unknown_bydel"] == total


def test_series_year_outside_file_lists_years():
    with pytest.raises(InputError) as err:
        load_bydel_series(SERIES, 2030)
    text = str(err.value)
    assert "2030" in text and "2015" in text and "2026" in text and str(SERIES) in text


def _synthetic_series(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    """Write a made-up series (years 2020, 2021) in the file's layout; no reference data copied."""
    lines = ["bydel_code,row_type,bydel,pop_2020_01_01,pop_2021_01_01"]
    bydel_rows = []
    for i, (code, name) in enumerate(BYDEL_CODES.items(), start=1):
        row_type = "sentrum_or_marka" if code in {"030116", "030117"} else "bydel"
        bydel_rows.append(f"{code},{row_type},{name},{1000 * i},{1000 * i + 7}")
    total_2020 = sum(1000 * i for i in range(1, 18)) + 300
    total_2021 = sum(1000 * i + 7 for i in range(1, 18)) + 250
    lines.append(f"0301,total,Oslo i alt,{total_2020},{total_2021}")
    lines += bydel_rows
    lines.append("030199,unallocated_derived,Uoppgitt bydel,300,250")
    text = "\n".join(lines) + "\n"
    if edit:
        assert edit[0] in text
        text = text.replace(edit[0], edit[1], 1)
    path = tmp_path / "series.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_series_sum_check_names_file_and_year(tmp_path):
    path = _synthetic_series(tmp_path)
    assert load_bydel_series(path).attrs == {
        "population_year": 2021,
        "city_total": 153_369,
        "unknown_bydel": 250,
        "years": [2020, 2021],
        "source_path": str(path),
    }
    # Sagene 2021: 3007 -> 3008, so 2021 no longer adds up; 2020 still does.
    path = _synthetic_series(tmp_path, (",3000,3007", ",3000,3008"))
    with pytest.raises(InputError) as err:
        load_bydel_series(path, 2021)
    assert str(path) in str(err.value) and "2021" in str(err.value)
    assert load_bydel_series(path, 2020).attrs["city_total"] == 153_300


def test_series_bad_value_unknown_code_and_row_type(tmp_path):
    path = _synthetic_series(tmp_path, ("Sagene,3000,", "Sagene,tre,"))
    with pytest.raises(InputError) as err:
        load_bydel_series(path, 2020)
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (5, "pop_2020_01_01")
    path = _synthetic_series(tmp_path, ("030110,bydel", "030130,bydel"))
    with pytest.raises(InputError) as err:
        load_bydel_series(path)
    rows = {(p.row, p.column) for p in err.value.problems}
    assert (12, "bydel_code") in rows  # the unknown code, and 030110 is then missing
    assert any("030110" in p.message for p in err.value.problems)
    path = _synthetic_series(tmp_path, ("0301,total", "0301,bydel"))
    with pytest.raises(InputError) as err:
        load_bydel_series(path)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "row_type")]


# ---------------------------------------------------------------------------------------------
# Grid demand, 100 m
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
def test_bydel_sums_equal_ssb_every_year(year, bydeler, delbydeler):
    pop = load_bydel_series(SERIES, year)
    demand = grid_demand(GRID100, bydeler, pop, delbydeler=delbydeler)
    sums = demand.groupby("bydel_code")["weight"].sum()
    figures = _figures(pop)
    assert sorted(sums.index) == POLYGON_BYDELER
    np.testing.assert_allclose(sums.to_numpy(), figures[sums.index].to_numpy(), rtol=1e-9)
    unallocated = demand.attrs["unallocated"]
    assert unallocated == {"030117": int(figures["030117"]), "030199": pop.attrs["unknown_bydel"]}
    placed = math.fsum(demand["weight"])
    assert placed + sum(unallocated.values()) == pytest.approx(pop.attrs["city_total"], rel=1e-12)
    assert demand.attrs["population_year"] == year
    assert str(year) in demand.attrs["method_note"]


def test_output_columns_and_attrs(demand100):
    assert list(demand100.columns) == DEMAND_COLUMNS
    assert demand100.crs.to_epsg() == 25832
    assert (demand100["demand_id"].to_numpy() == np.arange(len(demand100))).all()
    assert demand100["cell_id"].dtype == np.int64 and demand100["grid_count"].dtype == np.int64
    assert demand100.attrs["grid"] == "ssb100m_2015" and demand100.attrs["cell_m"] == 100
    assert demand100.attrs["notes"] == []
    assert demand100.attrs["method_note"].startswith(
        "Innbyggerne er plassert etter SSBs rutenett på 100 m (2015) og skalert til SSBs "
        "bydelstall per 1.1.2026"
    )


def test_points_are_populated_cells_of_the_file(demand100, raw100):
    assert demand100["cell_id"].is_unique
    counts = raw100.set_index("rute_100m")["sum"]
    assert demand100["cell_id"].isin(counts.index).all()
    assert (counts[demand100["cell_id"]].to_numpy() == demand100["grid_count"].to_numpy()).all()
    assert (demand100["grid_count"] > 0).all() and (demand100["weight"] > 0).all()
    # 9 371 cells in the file, 216 outside every polygon.
    assert len(demand100) == len(raw100) - 216
    east, north = cell_centres(demand100["cell_id"].to_numpy(), 100)
    np.testing.assert_allclose(demand100.geometry.x, east, atol=1e-6)
    np.testing.assert_allclose(demand100.geometry.y, north, atol=1e-6)


def test_cells_outside_polygons_are_reported(demand100, raw100):
    assert demand100.attrs["not_placed"] == {"cells": 216, "residents": 2_641}
    assert demand100.attrs["outside_bbox"] == {"cells": 0, "residents": 0}
    placed = int(demand100["grid_count"].sum())
    assert placed + 2_641 == int(raw100["sum"].sum()) == 640_797
    # Delbydel prefix and bydel polygon agree for every cell.
    assert demand100.attrs["bydel_check"] == {"cells": 0, "residents": 0}


def test_bydel_of_cell_is_its_delbydels(demand100, delbydeler, bydeler):
    to_bydel = delbydeler.set_index("delbydel_code")["bydel_code"]
    assert (demand100["delbydel_code"].map(to_bydel) == demand100["bydel_code"]).all()
    assert (("0301" + demand100["delbydel_code"].str[:2]) == demand100["bydel_code"]).all()
    joined = gpd.sjoin(demand100[["geometry"]], bydeler, predicate="intersects")
    assert joined.index.is_unique and len(joined) == len(demand100)
    assert (joined["bydel_code"] == demand100.loc[joined.index, "bydel_code"]).all()


def test_every_delbydel_gets_residents(demand100, delbydeler):
    per = demand100.groupby("delbydel_code")["weight"].sum()
    assert set(per.index) == set(delbydeler["delbydel_code"]) and len(per) == 97
    assert (per > 0).all()


def test_grid_sums_2015_against_ssb(demand100, pop2015):
    sums = pd.Series(demand100.attrs["grid_sums"])
    ratio = sums / _figures(pop2015)[sums.index]
    assert ratio.between(0.95, 1.025).all(), ratio
    assert ratio["030116"] == pytest.approx(1_012 / 1_063)
    assert ratio["030104"] == pytest.approx(37_117 / 36_218)


def test_cell_id_parsing_by_hand(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("rute_100m sum\n22536006661600 9\n", encoding="utf-8")
    grid = read_grid(path)
    assert list(grid.loc[0, ["cell_id", "x", "y", "count"]]) == [
        22536006661600,
        253_600,
        6_661_600,
        9,
    ]
    east, north = cell_centres([22536006661600], 100)
    expected = pyproj.Transformer.from_crs(25833, 25832, always_xy=True).transform(
        253_650.0, 6_661_650.0
    )
    assert abs(east[0] - expected[0]) < 1e-6 and abs(north[0] - expected[1]) < 1e-6
    # The same cell is the first row of the real file.
    real = read_grid(GRID100)
    assert real.loc[0, "cell_id"] == 22536006661600 and real.loc[0, "x"] == 253_600


# ---------------------------------------------------------------------------------------------
# 250 m grid
# ---------------------------------------------------------------------------------------------


def test_250m_bydel_sums_and_ratios(demand250, demand100, pop2015, delbydeler):
    figures = _figures(pop2015)
    sums = demand250.groupby("bydel_code")["weight"].sum()
    np.testing.assert_allclose(sums.to_numpy(), figures[sums.index].to_numpy(), rtol=1e-9)
    assert demand250.attrs["grid"] == "ssb250m_2015" and demand250.attrs["cell_m"] == 250
    grid250 = pd.Series(demand250.attrs["grid_sums"])
    grid100 = pd.Series(demand100.attrs["grid_sums"])
    fifteen = [c for c in POLYGON_BYDELER if c != "030116"]
    # Measured: 0.962 (Grünerløkka) .. 1.020 (Stovner) of SSB 2015; 0.969 .. 1.012 of 100 m.
    assert (grid250[fifteen] / figures[fifteen]).between(0.95, 1.05).all()
    assert (grid250[fifteen] / grid100[fifteen]).between(0.95, 1.05).all()
    # Sentrum (2.7 km²) catches 250 m cells of its neighbours: 2 723 against SSB's 1 063.
    assert grid250["030116"] == 2_723
    assert len(set(demand250["delbydel_code"])) == 97


def test_250m_prefilter_and_polygon_test(demand250):
    assert demand250["cell_id"].is_unique
    assert demand250.attrs["outside_bbox"]["cells"] > 200_000
    # Bærum, Lørenskog etc. are inside the box but not in the polygons.
    assert demand250.attrs["not_placed"]["residents"] > 300_000
    assert (demand250["cell_id"] // 10_000_000 % 250 == 0).all()
    total = int(demand250["grid_count"].sum()) + demand250.attrs["not_placed"]["residents"]
    assert total + demand250.attrs["outside_bbox"]["residents"] == 5_146_614


# ---------------------------------------------------------------------------------------------
# Fallbacks
# ---------------------------------------------------------------------------------------------


def test_load_demand_uses_100m_when_present(bydeler, delbydeler, pop2015):
    demand = load_demand(DATA, bydeler, delbydeler, pop2015)
    assert demand.attrs["method"] == "100m" and demand.attrs["fallback_reasons"] == []
    assert demand.attrs["grid"] == "ssb100m_2015"


def test_uniform_when_both_grids_missing(tmp_path, bydeler, delbydeler, pop2015):
    demand = load_demand(tmp_path, bydeler, delbydeler, pop2015)
    assert demand.attrs["method"] == "uniform" and demand.attrs["grid"] == "uniform"
    note = demand.attrs["method_note"]
    assert "ssb_befolkning_100m_oslo_2015.csv finnes ikke" in note
    assert "ssb_befolkning_250m_norge_2015.csv.gz finnes ikke" in note
    assert "fordelt jevnt over bydelens areal" in note and "1.1.2015" in note
    sums = demand.groupby("bydel_code")["weight"].sum()
    assert sorted(sums.index) == POLYGON_BYDELER
    np.testing.assert_allclose(sums, _figures(pop2015)[sums.index], rtol=1e-9)
    assert (demand["cell_id"] == -1).all() and (demand["grid_count"] == 0).all()
    assert demand["delbydel_code"].notna().all()
    # Each point lies in its own delbydel.
    own = delbydeler.set_index("delbydel_code").geometry[demand["delbydel_code"]].to_numpy()
    assert shapely.intersects(own, demand.geometry.to_numpy()).all()


def test_broken_100m_falls_through_with_reason(tmp_path, bydeler, delbydeler, pop2015):
    (tmp_path / "population").mkdir()
    (tmp_path / "population/ssb_befolkning_100m_oslo_2015.csv").write_text("id;n\n1;2\n")
    demand = load_demand(tmp_path, bydeler, delbydeler, pop2015, prefer=("100m", "uniform"))
    assert demand.attrs["method"] == "uniform"
    assert "kunne ikke leses" in demand.attrs["method_note"]
    with pytest.raises(InputError):
        load_demand(tmp_path, bydeler, delbydeler, pop2015, prefer=("100m", "250m"))
    with pytest.raises(ValueError, match="Ukjent metode"):
        load_demand(tmp_path, bydeler, delbydeler, pop2015, prefer=("50m",))


def test_bydel_without_cells_is_spread_uniformly(tmp_path, bydeler, delbydeler, pop2015):
    # Synthetic grid: one cell per delbydel (at a point inside it), none in Sentrum (1601).
    others = delbydeler[delbydeler["bydel_code"] != "030116"]
    inside = others.geometry.representative_point().to_crs(25833)
    x = (np.floor(inside.x / 100) * 100).astype(np.int64)
    y = (np.floor(inside.y / 100) * 100).astype(np.int64)
    ids = np.unique((x + 2_000_000) * 10_000_000 + y)
    # Keep the cells whose centre lies in a delbydel; every bydel but Sentrum keeps some.
    centres = shapely.points(*cell_centres(ids, 100))
    hit, poly = delbydeler.sindex.query(centres, predicate="intersects")
    ids = ids[np.unique(hit)]
    kept_bydeler = set(delbydeler["bydel_code"].to_numpy()[poly])
    assert kept_bydeler == set(POLYGON_BYDELER) - {"030116"}
    lines = [f"{i} {n}" for i, n in zip(ids, range(10, 10 + len(ids)), strict=True)]
    path = tmp_path / "grid.csv"
    path.write_text("rute_100m sum\n" + "\n".join(lines) + "\n", encoding="utf-8")
    demand = grid_demand(path, bydeler, pop2015, delbydeler=delbydeler)
    sums = demand.groupby("bydel_code")["weight"].sum()
    np.testing.assert_allclose(sums, _figures(pop2015)[sums.index], rtol=1e-9)
    sentrum = demand[demand["bydel_code"] == "030116"]
    assert len(sentrum) > 100 and (sentrum["cell_id"] == -1).all()
    assert (sentrum["delbydel_code"] == "1601").all()
    assert (demand.loc[demand["bydel_code"] != "030116", "cell_id"] > 0).all()
    (note,) = demand.attrs["notes"]
    assert "Sentrum (030116)" in note and "1063" in note and "jevnt" in note


def test_uniform_demand_direct(bydeler, delbydeler, pop2015):
    demand = uniform_demand(bydeler, delbydeler, pop2015, cell_m=250)
    assert list(demand.columns) == DEMAND_COLUMNS
    sums = demand.groupby("bydel_code")["weight"].sum()
    np.testing.assert_allclose(sums, _figures(pop2015)[sums.index], rtol=1e-9)
    assert "ruter på 250 m" in demand.attrs["method_note"]


# ---------------------------------------------------------------------------------------------
# Bad grid files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "row", "column", "words"),
    [
        ("rute sum\n22536006661600 9\n", 1, None, "overskrift"),
        ("rute_100m sum\n22536006661600 9\n2253600666160X 3\n", 3, "rute_100m", "ikke et tall"),
        ("rute_100m sum\n22536006661600 9\n2253600666160 3\n", 3, "rute_100m", "13 siffer"),
        ("rute_100m sum\n22536006661600 9\n22536006661700 -1\n", 3, "sum", "helt tall"),
        ("rute_100m sum\n22536006661600 9\n22536006661600 3\n", 3, "rute_100m", "mer enn én"),
        ("rute_100m sum\n22536006661650 9\n", 2, "rute_100m", "hjørne"),
        ("rute_100m sum\n22536006661600 9\n22536006661700 3 4\n", 3, None, "antall felt"),
    ],
)
def test_bad_grid_file_names_file_and_row(tmp_path, body, row, column, words):
    path = tmp_path / "bad.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_grid(path)
    problem = err.value.problems[0]
    assert problem.file == str(path)
    assert (problem.row, problem.column) == (row, column)
    assert words in problem.message


def test_gzipped_semicolon_grid_and_cell_size_mismatch(tmp_path):
    path = tmp_path / "g.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("ru250m;pop_tot\n22535006661500;4\n22537506661500;0\n")
    grid = read_grid(path)
    assert grid.attrs["cell_m"] == 250 and grid["cell_id"].tolist() == [22535006661500]
    with pytest.raises(InputError, match="250 m-ruter"):
        read_grid(path, cell_m=100)


# ---------------------------------------------------------------------------------------------
# Need proxy
# ---------------------------------------------------------------------------------------------


def test_need_weights_sentrum_rule_and_sums(demand100):
    need, shares = need_weights(demand100, INDICATORS, 2026)
    table = shares.set_index("bydel_code")
    assert len(table) == 16
    share = table["share_percent"]
    assert share["030104"] == 4.2 and share["030116"] == 4.2
    assert table.loc["030116", "rule"] == SENTRUM_RULE
    assert (table.drop("030116")["rule"] == TABLE_RULE).all()
    assert (
        table.loc["030101", "share_percent"] == 4.3 and table.loc["030107", "share_percent"] == 1.4
    )
    figures = _figures(load_bydel_series(SERIES, 2026))
    per = need.groupby("bydel_code")["weight"].sum()
    expected = figures[per.index] * table.loc[per.index, "share_percent"] / 100
    np.testing.assert_allclose(per, expected, rtol=1e-9)
    np.testing.assert_allclose(table["need_weight"], expected[table.index], rtol=1e-9)
    np.testing.assert_allclose(need["population_weight"], demand100["weight"])
    assert need.attrs["demand_basis"] == NEED_LABEL
    assert NEED_LABEL in need.attrs["need_note"] and "St. Hanshaugen" in need.attrs["need_note"]
    assert "1.1.2026" in need.attrs["need_note"]
    with pytest.raises(ValueError, match="2026"):
        need_weights(demand100, INDICATORS, 2020)


_FIFTEEN = [c for c in BYDEL_CODES if c not in {"030116", "030117"}]


def _indicator_file(tmp_path: Path, rows: dict[str, str] | None = None) -> Path:
    """Write a made-up indicator file in the reference layout; ``rows`` replaces bydel → value."""
    values = {BYDEL_CODES[c]: f"{1 + i / 10:.1f}" for i, c in enumerate(_FIFTEEN)}
    lines = ["bydel,indicator,value,unit,year,source_url,note"]
    lines.append('Stovner,levekarsindeks,"7-8",rank,2017,https://example.org,"kontekst, ikke vekt"')
    lines += [
        f'{name},sosialhjelp_share_of_population,"{value}",percent,2023,https://example.org,"a, b"'
        for name, value in (values if rows is None else rows).items()
    ]
    lines.append("Gamle Oslo,sosialhjelp_recipients,2000,persons,2023,https://example.org,")
    path = tmp_path / "indicators.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_broken_indicator_file_names_rows(tmp_path):
    rows = {BYDEL_CODES[c]: f"{1 + i / 10:.1f}" for i, c in enumerate(_FIFTEEN)}
    good = _indicator_file(tmp_path, rows)
    table = read_need_shares(good)
    assert len(table) == 15 and list(table["line"]) == list(range(3, 18))
    assert table.set_index("bydel_code").loc["030103", "share_percent"] == 1.2
    # Sagene (line 5) -> an unknown name, Frogner (line 7) -> "fire", Ullern (line 8) -> Alna.
    broken = [
        (
            "Sankt Nowhere" if name == "Sagene" else "Alna" if name == "Ullern" else name,
            "fire" if name == "Frogner" else value,
        )
        for name, value in rows.items()
    ]
    lines = good.read_text(encoding="utf-8").splitlines()
    for i, (name, value) in enumerate(broken, start=2):
        lines[i] = f"{name},sosialhjelp_share_of_population,{value},percent,2023,x,"
    good.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_need_shares(good)
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(5, "bydel"), (7, "value"), (14, "bydel")}
    # Alna's own row (line 14) is the duplicate of line 8, where Ullern was.
    duplicate = next(p for p in err.value.problems if p.row == 14)
    assert "linje 8" in duplicate.message
    assert all(p.file == str(good) for p in err.value.problems)
    assert "Sankt Nowhere" in str(err.value) and "«fire»" in str(err.value)


def test_indicator_file_missing_bydel_or_column(tmp_path):
    rows = {BYDEL_CODES[c]: "2.0" for c in _FIFTEEN if c != "030110"}
    with pytest.raises(InputError, match="Grorud"):
        read_need_shares(_indicator_file(tmp_path, rows))
    path = tmp_path / "columns.csv"
    path.write_text("bydel,indikator,value\nGamle Oslo,x,1\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_need_shares(path)
    assert err.value.problems[0].row == 1
    rows = {BYDEL_CODES[c]: "2.0" for c in _FIFTEEN} | {"Alna": "140"}
    with pytest.raises(InputError, match="mellom 0 og 100"):
        read_need_shares(_indicator_file(tmp_path, rows))
    rows = {BYDEL_CODES[c]: "2,5" for c in _FIFTEEN}
    path = _indicator_file(tmp_path, rows)
    assert (read_need_shares(path)["share_percent"] == 2.5).all()
    # The same decimal comma without quotes splits the row: named, not skipped.
    text = path.read_text(encoding="utf-8").replace(
        'Alna,sosialhjelp_share_of_population,"2,5"', "Alna,sosialhjelp_share_of_population,2,5"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_need_shares(path)
    assert [(p.row, p.column) for p in err.value.problems] == [(14, None)]
    assert "8 felt" in err.value.problems[0].message


def test_real_indicator_file_reads_15_bydeler():
    shares = read_need_shares(INDICATORS)
    assert len(shares) == 15 and "030116" not in set(shares["bydel_code"])
    assert shares["share_percent"].between(1.4, 4.7).all()


# ---------------------------------------------------------------------------------------------
# Performance
# ---------------------------------------------------------------------------------------------


def test_centre_on_shared_boundary_goes_to_lower_code(tmp_path):
    cell = 22536006661600
    east, north = (float(v[0]) for v in cell_centres([cell], 100))
    left = shapely.box(east - 500, north - 500, east, north + 500)
    right = shapely.box(east, north - 500, east + 500, north + 500)
    # The higher code first, so that file order cannot be what decides.
    delbydeler = gpd.GeoDataFrame(
        {"delbydel_code": ["0202", "0101"], "bydel_code": ["030102", "030101"]},
        geometry=[left, right],
        crs=25832,
    )
    bydeler = gpd.GeoDataFrame(
        {"bydel_code": ["030102", "030101"]}, geometry=[left, right], crs=25832
    )
    pop = pd.DataFrame({"bydel_code": ["030101", "030102"], "population": [100, 50]})
    path = tmp_path / "g.csv"
    path.write_text(f"rute_100m sum\n{cell} 7\n", encoding="utf-8")
    demand = grid_demand(path, bydeler, pop, delbydeler=delbydeler)
    row = demand[demand["cell_id"] == cell].iloc[0]
    assert (row["delbydel_code"], row["bydel_code"], row["weight"]) == ("0101", "030101", 100.0)
    assert demand.attrs["bydel_check"] == {"cells": 0, "residents": 0}
    assert demand.attrs["unallocated"] == {"030199": 0}
    # 030102 has residents but no cell: spread over its polygon.
    other = demand[demand["bydel_code"] == "030102"]
    assert (other["cell_id"] == -1).all() and other["weight"].sum() == pytest.approx(50.0)


def test_unreadable_files_give_bokmal_problems(tmp_path):
    fake = tmp_path / "fake.csv.gz"
    fake.write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(InputError, match="ikke en hel gzip-fil"):
        read_grid(fake)
    with pytest.raises(InputError, match="finnes ikke"):
        read_grid(tmp_path / "nowhere.csv")
    with pytest.raises(InputError, match="finnes ikke"):
        load_bydel_series(tmp_path / "nowhere.csv")
    with pytest.raises(InputError, match="finnes ikke"):
        read_need_shares(tmp_path / "nowhere.csv")


def test_note_alias_carries_method_note(demand100, tmp_path, bydeler, delbydeler, pop2015):
    assert demand100.attrs["note"] == demand100.attrs["method_note"]
    fallback = load_demand(tmp_path, bydeler, delbydeler, pop2015, prefer=("250m", "uniform"))
    assert fallback.attrs["note"].startswith("SSBs rutenett på 250 m ble ikke brukt")
