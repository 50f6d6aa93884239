import pandas as pd
import pytest

from geo.data.services import (
    SERVICE_COLUMNS,
    load_candidates,
    load_services,
    normalise_category,
    read_services,
)
from geo.errors import InputError
from geo.labels import CATEGORIES


def test_registry_follows_schema_and_sources():
    result = load_services()
    frame = result.frame
    assert result.errors == []
    assert len(frame) >= 10
    assert frame["id"].is_unique
    assert set(frame["category"]) <= set(CATEGORIES)
    # Every row names its source; every located row names where its coordinate came from.
    assert (frame["source_url"].str.startswith("http")).all()
    located = ~frame.geometry.is_empty & frame.geometry.notna()
    assert (frame.loc[located, "coord_source"].str.len() > 0).all()
    assert set(frame.loc[~located, "coord_quality"]) <= {"mangler"}
    assert set(frame.loc[located, "coord_quality"]) <= {"verifisert", "omtrentlig"}
    assert frame.crs.to_epsg() == 25832


def test_registry_csv_header_is_the_documented_schema():
    header = pd.read_csv("data/services.csv", nrows=0).columns.tolist()
    assert header == SERVICE_COLUMNS


def test_example_candidates_are_labelled_fictitious():
    result = load_candidates("data/candidates_example.csv")
    assert len(result.frame) >= 3
    assert result.frame["name"].str.startswith("FIKTIV").all()
    assert (result.frame["coord_quality"] == "fiktiv").all()


@pytest.mark.parametrize(
    ("label", "slug"),
    [
        ("Sprøyteboks", "sproyteboks"),
        ("LASSO/substitusjon", "lasso"),
        ("helsetilbud/feltpleie", "helsetilbud"),
        ("Møteplass", "moteplass"),
        ("oppsøkende", "oppsokende"),
        ("BRUKERROM", "brukerrom"),
    ],
)
def test_category_labels_resolve(label, slug):
    assert normalise_category(label) == slug


def test_candidates_need_coordinates_and_unique_ids(tmp_path):
    path = tmp_path / "kandidater.csv"
    path.write_text(
        "id,name,category,lat,lon\nk1,A,brukerrom,59.91,10.75\nk1,B,brukerrom,59.92,10.76\nk3,C,brukerrom,,\nk4,D,sprøyteskap,59.93,10.77\n",
        encoding="utf-8",
    )
    result = load_candidates(path)
    assert result.frame["id"].tolist() == ["k1"]
    messages = {p.row: p.message for p in result.errors}
    assert "finnes allerede på rad 2" in messages[3]
    assert "plassering" in messages[4]
    assert "Ukjent kategori" in messages[5]


def test_missing_required_column_is_a_clear_error(tmp_path):
    path = tmp_path / "feil.csv"
    path.write_text("navn,adresse\nA,Storgata 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="category"):
        read_services(path)
