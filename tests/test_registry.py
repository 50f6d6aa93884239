"""The service registry as shipped (sources, Huset Oslo, ikke plassert), its template, and `validate`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyproj
import pytest

from geo import settings
from geo.cli.main import main
from geo.data.services import SERVICE_COLUMNS, load_services, located, read_services


@pytest.fixture(scope="module")
def registry():
    return load_services()


def test_every_row_has_a_source_and_a_date(registry) -> None:
    raw = pd.read_csv(
        settings.project_data_dir() / "services.csv", dtype=str, keep_default_na=False
    )
    assert list(raw.columns) == SERVICE_COLUMNS
    assert (raw["source_url"].str.startswith("http")).all()
    assert raw["date_checked"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    # a coordinate always says where it came from; no coordinate is never a placed row
    has_xy = raw["lat"].ne("") & raw["lon"].ne("")
    assert (raw.loc[has_xy, "coord_source"] != "").all()
    assert (raw.loc[~has_xy, "coord_quality"] == "mangler").all()
    assert len(registry.frame) == len(raw) and registry.errors == []


def test_huset_oslo_at_underhaugsveien_22(registry) -> None:
    huset = registry.frame.set_index("id").loc["huset-oslo"]
    assert huset["address"] == "Underhaugsveien 22"
    assert huset["coord_quality"] == "verifisert" and "0301:17994:22" in huset["coord_source"]
    # the Geonorge point of the leads file, projected to EPSG:25832 by pyproj
    x, y = pyproj.Transformer.from_crs(4326, 25832, always_xy=True).transform(
        10.726541485081306, 59.923969075170824
    )
    assert huset.geometry.x == pytest.approx(x, abs=0.01)
    assert huset.geometry.y == pytest.approx(y, abs=0.01)


def test_unplaced_rows_stay_and_count_nowhere(registry) -> None:
    frame = registry.frame
    placed = located(frame, None)
    unplaced = frame[~frame.index.isin(placed.index)]
    assert len(placed) == 11 and len(unplaced) == 9
    assert {"lasso-oslo", "aktivitetshuset-bjerke", "vinternatt-templet"} <= set(unplaced["id"])
    assert (unplaced["coord_quality"] == "mangler").all()


def test_blank_templates_load_as_empty_registries() -> None:
    folder = settings.project_data_dir()
    csv_columns = pd.read_csv(folder / "services_template.csv").columns.tolist()
    xlsx = pd.read_excel(folder / "services_template.xlsx", sheet_name=None)
    assert csv_columns == SERVICE_COLUMNS == xlsx["Tjenester"].columns.tolist()
    assert set(xlsx["Forklaring"]["Kolonne"]) == set(SERVICE_COLUMNS)


def test_a_filled_template_row_loads(tmp_path: Path) -> None:
    row = dict.fromkeys(SERVICE_COLUMNS, "")
    row.update(
        id="boks-1", name="Sprøyteboks (test)", category="sproyteboks", lat="59.9139", lon="10.7522"
    )
    path = tmp_path / "mine.csv"
    pd.DataFrame([row]).to_csv(path, index=False)
    result = read_services(path)
    assert result.errors == [] and len(located(result.frame, ["sproyteboks"])) == 1


def test_validate_auto_treats_a_category_column_as_services(tmp_path: Path, capsys) -> None:
    path = tmp_path / "tjenester.csv"
    path.write_text(
        "name,category,lat,lon\nA,brukerrom,59.91,10.75\nB,tullball,59.91,10.75\nA,brukerrom,59.92,10.75\n",
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert "Lest som tjenesteregister" in captured.out
    assert "Ukjent kategori «tullball»" in captured.err
    assert "finnes allerede på rad 2" in captured.err


def test_validate_says_when_nothing_can_be_placed(tmp_path: Path, capsys) -> None:
    path = tmp_path / "uten-koordinater.csv"
    path.write_text("id,name,category\nx,A,brukerrom\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert "0 med plassering, 1 ikke plassert" in captured.out
    assert "Fant ingen koordinatkolonner" in captured.err


def test_validate_negative_count_is_an_error(tmp_path: Path, capsys) -> None:
    path = tmp_path / "brukere.csv"
    path.write_text("bydel,antall\nGamle Oslo,-5\nSagene,10\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    assert "Negativt antall (-5)" in capsys.readouterr().err
