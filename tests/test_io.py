import io
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.inputs.coordinates import parse_number
from geo.inputs.read import read_any
from geo.inputs.tables import sniff_delimiter


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("59,9127", 59.9127),
        ("597 000", 597000.0),
        ("597\u00a0000,5", 597000.5),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("-3", -3.0),
        ("", np.nan),
    ],
)
def test_parse_number(text, value):
    result = parse_number(text)
    assert (np.isnan(result) and np.isnan(value)) or result == pytest.approx(value)


def test_parse_number_rejects_text():
    with pytest.raises(ValueError):
        parse_number("Storgata")


def test_semicolon_cp1252_decimal_comma_latlon(tmp_path):
    text = "navn;lat;lon\nGrønland;59,9127;10,7601\nTøyen;59,9152;10,7739\n"
    path = _write(tmp_path, "punkter.csv", text.encode("cp1252"))
    result = read_any(path)
    assert result.kind == "points"
    assert result.coord_system == "EPSG:4326"
    assert len(result.frame) == 2
    assert result.frame.crs.to_epsg() == 25832
    assert result.frame["navn"].tolist() == ["Grønland", "Tøyen"]
    assert any("Windows-1252" in p.message for p in result.problems)
    # 59.9127 N 10.7601 E is about 598 400 E, 6 644 400 N in UTM 32.
    assert result.frame.geometry.x.iloc[0] == pytest.approx(598_400, abs=300)


def test_utm33_detected_and_converted(tmp_path):
    # The same place in UTM 33 (EPSG:25833).
    p = gpd.GeoSeries.from_xy([10.7601], [59.9127], crs=4326).to_crs(25833).iloc[0]
    path = _write(tmp_path, "utm33.csv", f"id,x,y\n1,{p.x:.1f},{p.y:.1f}\n")
    result = read_any(path)
    assert result.coord_system == "EPSG:25833"
    back = result.frame.to_crs(4326).geometry.iloc[0]
    assert back.x == pytest.approx(10.7601, abs=1e-5) and back.y == pytest.approx(59.9127, abs=1e-5)


def test_swapped_latlon_is_fixed_with_warning(tmp_path):
    path = _write(tmp_path, "byttet.csv", "id,lat,lon\n1,10.7601,59.9127\n2,10.77,59.92\n")
    result = read_any(path)
    assert len(result.frame) == 2
    assert any("byttet" in p.message and p.severity == "advarsel" for p in result.problems)


def test_utm_values_in_latlon_columns(tmp_path):
    path = _write(tmp_path, "utm_i_latlon.csv", "id,lon,lat\n1,598400,6644400\n")
    result = read_any(path)
    assert result.coord_system == "EPSG:25832"
    assert any("UTM" in p.message for p in result.problems)


def test_bad_rows_reported_good_rows_kept(tmp_path):
    text = "id,lat,lon\n1,59.91,10.75\n2,abc,10.75\n3,,\n4,60.39,5.32\n5,59.92,10.76\n"
    result = read_any(_write(tmp_path, "blandet.csv", text))
    assert sorted(result.frame["id"]) == ["1", "5"]
    rows = {p.row: p for p in result.errors}
    assert set(rows) == {3, 4, 5}
    assert rows[3].column == "lat" and "ikke et tall" in rows[3].message
    assert "utenfor Oslo" in rows[5].message
    assert "Mangler koordinater" in rows[4].message


def test_aggregate_by_bydel_with_misspelling(tmp_path):
    text = "Bydel;Brukere;Besøk\nSt.Hanshaugen;12;340\nsondre nordstrand;3;41\nGrunnerløka;7;100\nGamle Oslo;1 204;9 876,0\n"
    result = read_any(_write(tmp_path, "brukere.csv", text))
    assert result.kind == "aggregate"
    frame = result.frame.set_index("bydel_code")
    assert frame.loc["030104", "Brukere"] == 12
    assert frame.loc["030101", "Besøk"] == 9876
    assert len(frame) == 3
    (problem,) = result.errors
    assert problem.row == 4 and problem.column == "Bydel" and "Grünerløkka" in problem.message


def test_empty_and_header_only(tmp_path):
    with pytest.raises(InputError, match="tom"):
        read_any(_write(tmp_path, "tom.csv", ""))
    with pytest.raises(InputError, match="ingen datarader"):
        read_any(_write(tmp_path, "header.csv", "id,lat,lon\n"))


def test_geojson_not_json(tmp_path):
    with pytest.raises(InputError, match="ikke gyldig JSON"):
        read_any(_write(tmp_path, "feil.geojson", "this is not json"))


def test_xlsx_several_sheets(tmp_path):
    path = tmp_path / "bok.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame().to_excel(writer, sheet_name="Forside", index=False)
        pd.DataFrame({"navn": ["A"], "lat": [59.91], "lon": [10.75]}).to_excel(
            writer, sheet_name="Data", index=False
        )
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Annet", index=False)
    result = read_any(path)
    assert len(result.frame) == 1
    assert any("Data" in p.message and "flere ark" in p.message for p in result.problems)


def test_zipped_shapefile_in_subfolder_without_prj(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"navn": ["a", "b"]},
        geometry=gpd.points_from_xy([597000, 598000], [6643000, 6644000]),
        crs=25832,
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf.to_file(folder / "pts.shp")
    (folder / "pts.prj").unlink()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f"undermappe/{f.name}")
    result = read_any(_write(tmp_path, "pts.zip", buffer.getvalue()))
    assert len(result.frame) == 2
    assert result.frame.geometry.x.tolist() == [597000, 598000]
    assert any(".prj" in p.message for p in result.problems)


def test_zip_slip_rejected(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../../etc/evil.shp", b"x")
    with pytest.raises(InputError, match="ulovlig filsti"):
        read_any(_write(tmp_path, "evil.zip", buffer.getvalue()))


def test_geopackage_polygons_with_invalid_geometry(tmp_path):
    from shapely.geometry import Polygon

    bowtie = Polygon([(597000, 6643000), (597100, 6643100), (597100, 6643000), (597000, 6643100)])
    ok = Polygon([(597000, 6643000), (597100, 6643000), (597100, 6643100)])
    gdf = gpd.GeoDataFrame({"navn": ["sløyfe", "ok"]}, geometry=[bowtie, ok], crs=25832)
    path = tmp_path / "soner.gpkg"
    gdf.to_file(path)
    result = read_any(path)
    assert result.kind == "polygons"
    assert result.frame.is_valid.all()
    assert any(p.row == 1 and "Ugyldig geometri" in p.message for p in result.problems)


def test_delimiter_sniffing():
    assert sniff_delimiter('a;b;c\n"1,5";2;3\n') == ";"
    assert sniff_delimiter("a,b\n1,2\n") == ","
    assert sniff_delimiter("a\tb\n1\t2\n") == "\t"
