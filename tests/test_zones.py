"""Zone sets on the real delbydel and bydel layers: built-ins, proposal A, uploaded mappings."""

from __future__ import annotations

import io
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from geo import data as zones  # the zone API is re-exported by geo.data
from geo.data.boundaries import load_bydeler, load_delbydeler
from geo.errors import InputError, Problem
from geo.names import BYDEL_CODES

ZONE_A = ("0102", "0103", "0104")  # Grønland, Enerhaugen, Nedre Tøyen
ZONE_B = ("0105", "0106", "0108")  # Kampen, Vålerenga, Kværnerbyen


@pytest.fixture(scope="module")
def layer() -> gpd.GeoDataFrame:
    """The real delbydel layer (97, EPSG:25832)."""
    return load_delbydeler()


@pytest.fixture(scope="module")
def official() -> gpd.GeoDataFrame:
    """The official bydel polygons (16)."""
    return load_bydeler()


@pytest.fixture(scope="module")
def forslag(layer: gpd.GeoDataFrame) -> zones.ZoneSet:
    """Forslag A built from the data directory."""
    return zones.load_zone_set("forslag-a", layer)


@pytest.fixture(scope="module")
def bydel_set(layer: gpd.GeoDataFrame) -> zones.ZoneSet:
    """Today's bydeler dissolved from the delbydeler."""
    return zones.bydeler_2013(layer)


def _csv(
    rows: Sequence[tuple[str, ...]], header: str = "delbydel_code,zone_code,zone_name"
) -> bytes:
    sep = ";" if ";" in header else ","
    return ("\n".join([header, *(sep.join(r) for r in rows)]) + "\n").encode("utf-8")


def _small_rows(layer: gpd.GeoDataFrame) -> list[tuple[str, ...]]:
    """Six delbydeler in zones A and B, every other delbydel in zone R."""
    rows: list[tuple[str, ...]] = []
    for code in layer["delbydel_code"]:
        if code in ZONE_A:
            rows.append((code, "A", "Sone A"))
        elif code in ZONE_B:
            rows.append((code, "B", "Sone B"))
        else:
            rows.append((code, "R", "Resten"))
    return rows


def _read(data: bytes, layer: gpd.GeoDataFrame, file: str = "soner.csv", **kw) -> zones.ZoneSet:
    return zones.read_zone_mapping(data, file, layer, "test", "Testsoner", "ikke vedtatt", **kw)


def _errors(exc: pytest.ExceptionInfo[InputError]) -> list[Problem]:
    return [p for p in exc.value.problems if p.severity == "feil"]


def _is_clean(polygons: gpd.GeoDataFrame) -> bool:
    """Valid, and no hole smaller than the sliver limit in any zone."""
    if not polygons.is_valid.all():
        return False
    for geom in polygons.geometry:
        for part in shapely.get_parts(geom):
            if any(shapely.Polygon(r).area < zones.SLIVER_M2 for r in part.interiors):
                return False
    return True


# --- a small mapping built here ---------------------------------------------------------------


def test_small_mapping_dissolve_and_aggregate(layer: gpd.GeoDataFrame) -> None:
    """Zone area = sum of its delbydeler's areas; population sums are kept."""
    zs = _read(_csv(_small_rows(layer)), layer)
    assert zs.problems == []
    poly = zs.polygons.set_index("zone_code")
    assert list(poly.index) == ["A", "B", "R"]
    assert poly.loc["A", "n_delbydeler"] == 3 and poly.loc["R", "n_delbydeler"] == 91
    areas = layer.set_index("delbydel_code").geometry.area
    for code, members in (("A", ZONE_A), ("B", ZONE_B)):
        assert poly.loc[code, "area_km2"] * 1e6 == pytest.approx(
            areas[list(members)].sum(), rel=1e-9
        )
    assert _is_clean(zs.polygons)
    assert zs.polygons.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert zs.polygons["area_km2"].sum() == pytest.approx(areas.sum() / 1e6, rel=1e-4)
    assert zs.polygons.crs.to_epsg() == 25832

    population = pd.DataFrame(
        {"delbydel_code": layer["delbydel_code"], "folk": np.arange(len(layer)) * 100 + 7}
    )
    population["services"] = 1
    out = zones.aggregate(zs, population, "delbydel_code", ["folk", "services"])
    by_zone = out.set_index("zone_code")
    expected_a = population.loc[population["delbydel_code"].isin(ZONE_A), "folk"].sum()
    assert by_zone.loc["A", "folk"] == expected_a
    assert by_zone.loc["B", "services"] == 3
    assert out["folk"].sum() == population["folk"].sum()
    assert out.attrs["provenance"] == "Soneinndeling: Testsoner, ikke vedtatt – 3 soner"


def test_aggregate_keeps_rows_with_unknown_delbydel(layer: gpd.GeoDataFrame) -> None:
    """Points without a known delbydel land in «ikke tildelt», so totals still add up."""
    zs = _read(_csv(_small_rows(layer)), layer)
    points = pd.DataFrame({"dbd": ["0102", 102, "9999", None, "1601"], "n": [1, 2, 4, 8, 16]})
    out = zones.aggregate(zs, points, "dbd", ["n"]).set_index("zone_code")
    assert out.loc["A", "n"] == 3
    assert out.loc["B", "n"] == 0
    assert out.loc[zones.UNASSIGNED_CODE, "n"] == 12
    assert out["n"].sum() == 31
    city = zones.with_city_row(out.reset_index(), ["n"])
    assert city.iloc[-1]["zone_code"] == "0301" and city.iloc[-1]["zone_name"] == "Hele byen"
    assert city.iloc[-1]["n"] == 31 and len(city) == len(out) + 1
    with pytest.raises(ValueError, match="ikke numerisk"):
        zones.aggregate(zs, points.assign(n="mange"), "dbd", ["n"])


def test_delbydel_assigned_twice_names_both_rows(layer: gpd.GeoDataFrame) -> None:
    """A delbydel given two zones is an error naming both rows."""
    rows = _small_rows(layer)
    rows.append(("0102", "B", "Sone B"))  # line 99; 0102 is first on line 2
    with pytest.raises(InputError) as exc:
        _read(_csv(rows), layer)
    errors = _errors(exc)
    assert len(errors) == 1
    assert errors[0].row == 99
    assert "0102 Grønland" in errors[0].message
    assert "rad 2" in errors[0].message and "rad 99" in errors[0].message


def test_same_zone_twice_is_a_warning(layer: gpd.GeoDataFrame) -> None:
    """An exact repeat (same zone) is counted once, with a warning."""
    rows = [*_small_rows(layer), ("102", "A", "Sone A")]
    zs = _read(_csv(rows), layer)
    assert [p.row for p in zs.problems] == [99]
    assert (zs.mapping["delbydel_code"] == "0102").sum() == 1


def test_missing_delbydel_is_named(layer: gpd.GeoDataFrame) -> None:
    """A delbydel missing from the file is an error naming code and name."""
    rows = [r for r in _small_rows(layer) if r[0] not in ("0103", "1601")]
    with pytest.raises(InputError) as exc:
        _read(_csv(rows), layer)
    errors = _errors(exc)
    assert len(errors) == 1 and errors[0].row is None
    assert "0103 Enerhaugen" in errors[0].message and "1601 Sentrum" in errors[0].message
    assert "2 av 97" in errors[0].message


def test_missing_as_unassigned_keeps_them(layer: gpd.GeoDataFrame) -> None:
    """With the option, missing delbydeler go to «ikke tildelt», shown and warned about."""
    rows = [r for r in _small_rows(layer) if r[0] != "1601"]
    zs = _read(_csv(rows), layer, missing_as_unassigned=True)
    assert [p.severity for p in zs.problems] == ["advarsel"]
    assert "1601 Sentrum" in zs.problems[0].message
    last = zs.polygons.iloc[-1]
    assert last["zone_code"] == zones.UNASSIGNED_CODE
    assert last["zone_name"] == "Ikke tildelt (Sentrum)"
    assert zs.polygons["n_delbydeler"].sum() == 97
    assert zs.provenance().endswith("– 3 soner + ikke tildelt (Sentrum)")


def test_explicit_unassigned_marker(layer: gpd.GeoDataFrame) -> None:
    """«Ikke tildelt» in the zone column marks a delbydel deliberately unassigned."""
    rows = [(c, "Ikke tildelt", "") if c == "1601" else (c, z, n) for c, z, n in _small_rows(layer)]
    zs = _read(_csv(rows), layer)
    assert zs.problems == []
    assert zs.zone_of(["1601"])[0] == zones.UNASSIGNED_CODE
    assert zs.n_zones == 3 and len(zs.polygons) == 4


def test_unknown_code_and_empty_zone_named_by_row(layer: gpd.GeoDataFrame) -> None:
    """Every problem is reported at once, each with its row."""
    rows = _small_rows(layer)
    rows[3] = ("9999", "A", "Sone A")  # line 5: unknown code; 0105 now missing
    rows[5] = (rows[5][0], "", "")  # line 7: empty zone code
    rows[10] = ("030102", "R", "Resten")  # line 12: a bydel code; 0202 now missing
    with pytest.raises(InputError) as exc:
        _read(_csv(rows), layer)
    errors = _errors(exc)
    by_row = {p.row: p for p in errors}
    assert set(by_row) == {5, 7, 12, None}
    assert "«9999» er ikke en delbydelskode" in by_row[5].message
    assert by_row[5].column == "delbydel_code"
    assert "Sonekoden mangler" in by_row[7].message and by_row[7].column == "zone_code"
    assert "bydelskoden til Grünerløkka" in by_row[12].message
    missing = by_row[None].message
    assert "0105 Kampen" in missing and "0202 Grünerløkka øst" in missing
    assert rows[5][0] not in missing  # named on its own row, not again as missing


def test_bad_column_names_list_expected(layer: gpd.GeoDataFrame) -> None:
    """Wrong headers: the message lists the expected columns and the ones found."""
    with pytest.raises(InputError) as exc:
        _read(_csv(_small_rows(layer), header="kode,gruppe,navn"), layer)
    (problem,) = exc.value.problems
    assert "delbydel_code" in problem.message and "zone_code" in problem.message
    assert "delbydelsnummer" in problem.message and "«gruppe»" in problem.message


@pytest.mark.parametrize("data", [b"", b"delbydel_code,zone_code\n", b"\n\n"])
def test_empty_file(layer: gpd.GeoDataFrame, data: bytes) -> None:
    """An empty file, or headers without rows, is refused."""
    with pytest.raises(InputError, match=r"tom|ingen rader"):
        _read(data, layer)


def test_refuses_other_file_types(layer: gpd.GeoDataFrame) -> None:
    """A zone mapping is a table, not a vector file."""
    with pytest.raises(InputError, match="CSV- eller XLSX"):
        _read(b"{}", layer, file="soner.geojson")


def test_name_instead_of_code_and_name_mismatch(layer: gpd.GeoDataFrame) -> None:
    """A delbydel name is taken as its code; a name that contradicts the code is warned about."""
    header = "delbydel_code,zone_code,zone_name,delbydel_name"
    rows = [(*r, "") for r in _small_rows(layer)]
    rows[0] = ("Grønland", "A", "Sone A", "")
    rows[1] = ("0103", "A", "Sone A", "Kampen")
    zs = _read(_csv(rows, header=header), layer)
    assert [p.row for p in zs.problems] == [2, 3]
    assert all(p.severity == "advarsel" for p in zs.problems)
    assert zs.zone_of(["0102"])[0] == "A"


# --- built-in zone sets -----------------------------------------------------------------------


def test_forslag_a(forslag: zones.ZoneSet, layer: gpd.GeoDataFrame) -> None:
    """Six proposed bydeler and «ikke tildelt» (Sentrum), every delbydel once."""
    assert forslag.label == "Forslag A (høring 2025), ikke vedtatt"
    assert "ikke vedtatt" in forslag.status and forslag.key == "forslag-a"
    assert forslag.problems == []
    counts = dict(zip(forslag.polygons["zone_code"], forslag.polygons["n_delbydeler"], strict=True))
    assert counts == {"1": 19, "2": 14, "3": 18, "4": 10, "5": 17, "6": 18, "ikke-tildelt": 1}
    assert forslag.n_zones == 6
    last = forslag.polygons.iloc[-1]
    assert last["zone_name"] == "Ikke tildelt (Sentrum)"
    assert forslag.unassigned["delbydel_code"].tolist() == ["1601"]
    mapping = forslag.mapping
    assert sorted(mapping["delbydel_code"]) == sorted(layer["delbydel_code"])
    assert mapping["delbydel_code"].is_unique and len(mapping) == 97
    assert mapping.loc[mapping["delbydel_code"] == "1601", "basis_kind"].item() == "ikke oppgitt"
    assert mapping["basis_kind"].value_counts().to_dict() == {
        "oppgitt": 49,
        "avledet": 47,
        "ikke oppgitt": 1,
    }
    assert forslag.zone_of(["0110", "0605", "1207", "1601"]).tolist() == [
        "4",
        "2",
        "4",
        "ikke-tildelt",
    ]
    assert forslag.provenance() == (
        "Soneinndeling: Forslag A (høring 2025), ikke vedtatt – 6 bydeler + ikke tildelt (Sentrum)"
    )
    assert forslag.polygons.attrs["provenance"] == forslag.provenance()
    total = layer.geometry.area.sum() / 1e6
    assert forslag.polygons["area_km2"].sum() == pytest.approx(total, rel=1e-4)
    assert _is_clean(forslag.polygons)
    text = zones.describe_zones(forslag).set_index("zone_code")["bydeler_2013"]
    assert text["3"] == "Gamle Oslo (7 av 9), Grünerløkka (6 av 8), Sagene (5 av 5)"


def test_bydeler_2013_match_official(
    bydel_set: zones.ZoneSet, official: gpd.GeoDataFrame, layer: gpd.GeoDataFrame
) -> None:
    """16 zones; each within 0.06 % of the official polygon's area (measured max 0.052 %)."""
    assert bydel_set.polygons["zone_code"].tolist() == sorted(set(BYDEL_CODES) - {"030117"})
    assert bydel_set.polygons["zone_name"].tolist() == official["bydel"].tolist()
    assert bydel_set.unassigned.empty
    comparison = zones.compare_to_bydeler(bydel_set, official)
    assert len(comparison) == 16
    assert comparison["area_diff_pct"].abs().max() < 0.06
    assert comparison["symdiff_pct"].max() < 0.07
    assert _is_clean(bydel_set.polygons)
    total = layer.geometry.area.sum() / 1e6
    assert bydel_set.polygons["area_km2"].sum() == pytest.approx(total, rel=1e-4)


def test_delbydel_prefix_agrees_with_bydel_polygon(
    layer: gpd.GeoDataFrame, official: gpd.GeoDataFrame
) -> None:
    """Each delbydel lies (≥ 99.5 % of its area) in the bydel polygon its code names."""
    left, right = official.sindex.query(layer.geometry, predicate="intersects")
    shared = shapely.area(
        shapely.intersection(layer.geometry.values[left], official.geometry.values[right])
    )
    frame = pd.DataFrame(
        {
            "delbydel": layer["delbydel_code"].to_numpy()[left],
            "own": layer["bydel_code"].to_numpy()[left] == official["bydel_code"].to_numpy()[right],
            "share": shared / layer.geometry.area.to_numpy()[left],
        }
    )
    own_share = frame[frame["own"]].groupby("delbydel")["share"].sum()
    assert len(own_share) == 97
    assert own_share.min() > 0.995


def test_delbydeler_identity(layer: gpd.GeoDataFrame) -> None:
    """97 zones, one per delbydel, same area."""
    zs = zones.load_zone_set("delbydel", layer)
    assert len(zs.polygons) == 97 and zs.n_zones == 97
    full = ("0301" + layer["delbydel_code"]).tolist()  # never «0301», the city's own code
    assert zs.polygons["zone_code"].tolist() == full
    assert np.allclose(zs.polygons.geometry.area, layer.geometry.area)
    assert zs.zone_of(layer["delbydel_code"]).tolist() == full


def test_zone_of_normalises_codes(bydel_set: zones.ZoneSet) -> None:
    """Codes as people write them; unknown and missing go to «ikke tildelt»."""
    got = bydel_set.zone_of(["0102", "102", 102, 102.0, " 0102 ", "03010102", None, "9999"])
    assert got.tolist() == ["030101"] * 6 + [zones.UNASSIGNED_CODE] * 2


def test_registry(layer: gpd.GeoDataFrame) -> None:
    """Built-in keys and labels; an unknown key is refused."""
    assert set(zones.ZONE_SETS) == {"bydel", "delbydel", "forslag-a"}
    assert zones.ZONE_SETS["forslag-a"].label == zones.FORSLAG_A_LABEL
    with pytest.raises(KeyError, match="forslag-b"):
        zones.load_zone_set("forslag-b", layer)


# --- uploads ----------------------------------------------------------------------------------


def test_upload_csv_semicolon_norwegian_headers(layer: gpd.GeoDataFrame) -> None:
    """`;`, Norwegian headers, codes without leading zero, an unassigned Sentrum."""
    lines = ["Delbydelsnummer ; Sone ; Sonenavn"]
    for code in layer["delbydel_code"]:
        if code == "1601":
            lines.append(f"{int(code)};ikke tildelt;")
        else:
            zone = "1" if code < "0800" else "2"
            lines.append(f" {int(code)} ;{zone};{'Vest og indre øst' if zone == '1' else 'Øst'}")
    zs = _read(("\n".join(lines) + "\n").encode("utf-8"), layer, file="forslag_b.csv")
    assert zs.problems == []
    assert zs.polygons["zone_name"].tolist() == [
        "Vest og indre øst",
        "Øst",
        "Ikke tildelt (Sentrum)",
    ]
    assert zs.polygons["n_delbydeler"].sum() == 97
    assert zs.zone_of(["0102", "1506"]).tolist() == ["1", "2"]


def test_upload_xlsx(layer: gpd.GeoDataFrame) -> None:
    """XLSX with numeric cells (102, 102.0) and the reform file's own headers."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["delbydel", "new_bydel_number", "new_bydel_name"])
    for i, code in enumerate(layer["delbydel_code"]):
        value: int | float = int(code) if i % 2 else float(code)
        sheet.append([value, 7 if code.startswith("01") else 8, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    zs = _read(buffer.getvalue(), layer, file="forslag_c.xlsx")
    assert zs.problems == []
    assert zs.polygons["zone_code"].tolist() == ["7", "8"]
    assert zs.polygons["zone_name"].tolist() == ["Sone 7", "Sone 8"]
    assert zs.polygons["n_delbydeler"].tolist() == [9, 88]
    # Row numbers in messages are spreadsheet rows.
    sheet.append([9999, 8])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(InputError) as exc:
        _read(buffer.getvalue(), layer, file="forslag_c.xlsx")
    assert [p.row for p in _errors(exc)] == [99]
