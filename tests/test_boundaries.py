import geopandas as gpd
import numpy as np
import pytest

from geo.data.boundaries import assign_bydel, load_bydeler, register_boundary_file
from geo.names import BYDEL_CODES


def test_bydeler_are_the_16_official_units(bydeler):
    assert len(bydeler) == 16
    assert set(bydeler["bydel_code"]) == set(BYDEL_CODES) - {"030117"}
    assert bydeler.crs.to_epsg() == 25832
    assert bydeler.is_valid.all()
    # The PBE 2013 outline covers about 179 km² (SOURCES.md).
    assert bydeler.area.sum() / 1e6 == pytest.approx(179.4, abs=0.5)
    assert bydeler.attrs["boundary_version"] == "pbe2013"


def test_delbydeler_97_and_nested_in_their_bydel(delbydeler, bydeler):
    assert len(delbydeler) == 97
    assert delbydeler["delbydel_code"].is_unique
    assert set(delbydeler["bydel_code"]) == set(bydeler["bydel_code"])
    # Each delbydel lies (almost entirely) inside the bydel its code says.
    joined = delbydeler.merge(
        bydeler[["bydel_code", "geometry"]].rename(columns={"geometry": "b"}), on="bydel_code"
    )
    inside = np.array(
        [d.intersection(b).area / d.area for d, b in zip(joined.geometry, joined["b"], strict=True)]
    )
    assert (inside > 0.95).all()
    assert delbydeler.loc[delbydeler["delbydel_code"] == "0102", "delbydel"].item() == "Grønland"


def test_known_points_fall_in_the_right_bydel(bydeler):
    # Oslo City Hall (Rådhuset) 59.9119 N 10.7336 E lies in Sentrum; Holmlia stasjon in Søndre Nordstrand;
    # Grorud T in Grorud; a point in the sea off Bygdøy and one in Bergen are outside.
    pts = gpd.GeoSeries.from_xy(
        [10.7336, 10.7964, 10.8807, 10.75, 5.32],
        [59.9119, 59.8356, 59.9613, 59.86, 60.39],
        crs=4326,
    )
    codes = assign_bydel(pts, bydeler).tolist()
    assert codes[:3] == ["030116", "030115", "030110"]
    assert codes[4] is None


def test_second_boundary_version_loads_beside_the_first(tmp_path, bydeler):
    # A "reform" set: merge Sentrum into St. Hanshaugen, written to a file and registered.
    reform = bydeler.copy()
    reform.loc[reform["bydel_code"] == "030116", "bydel"] = "St. Hanshaugen"
    reform = reform.dissolve(by="bydel", as_index=False)[["bydel", "geometry"]]
    path = tmp_path / "reform.gpkg"
    reform.to_file(path)
    register_boundary_file("reform-test", path, name_field="bydel")
    second = load_bydeler("reform-test")
    assert len(second) == 15
    assert second.attrs["boundary_version"] == "reform-test"
    assert load_bydeler().attrs["boundary_version"] == "pbe2013"  # the first is untouched
