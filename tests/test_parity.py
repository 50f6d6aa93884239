"""The app and the CLI give the same table and the same exported files for the same settings.

The app's path is a :class:`geo.workspace.session.Session` (what the Streamlit widgets call); the
CLI's path is ``oslo-coverage`` itself. Both run on the real Oslo data.
"""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pytest

from geo import settings
from geo.cli import main
from geo.data.study import Study
from geo.export.files import table_bytes
from geo.workspace.session import Session
from geo.workspace.settings import AnalysisSettings
from geo.workspace.uploads import read_upload

CELL = 500.0
CANDIDATES = settings.PROJECT_ROOT / "data" / "candidates_example.csv"
OPTIONS = ["--categories", "brukerrom,sproyteutdeling", "--threshold", "750", "--cell", "500"]


@pytest.fixture(scope="module")
def app_path(data_dir):
    """The tables as the app computes them, with the example candidates uploaded."""
    study = Study.load(cell_m=CELL)
    analysis = AnalysisSettings(categories=("brukerrom", "sproyteutdeling"), threshold_m=750.0)
    engine = study.straight_engine()
    session = Session()
    upload = read_upload(CANDIDATES.name, CANDIDATES.read_bytes(), "candidates")
    status = session.accept_upload("candidates", CANDIDATES.name, upload, study.bydeler)
    assert status.level == "success" and len(session.candidates) == 5
    whatif = session.whatif(study, engine, analysis)
    comparison = session.comparison(whatif, analysis)
    return whatif.baseline, comparison.combined.table, session.candidates


def _sheets(data: bytes, tmp_path, name: str) -> dict[str, list[tuple]]:
    path = tmp_path / name
    path.write_bytes(data)
    book = openpyxl.load_workbook(path, read_only=True)
    return {sheet: list(book[sheet].iter_rows(values_only=True)) for sheet in book.sheetnames}


def test_bydel_report_equals_the_apps_table(app_path, capsys) -> None:
    baseline, _, _ = app_path
    assert main(["bydel-report", *OPTIONS, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    rows = {row["zone_code"]: row for row in payload["rows"]}
    assert set(rows) == set(baseline["zone_code"])
    for column in ("population", "n_services", "share_within_threshold", "median_distance_m"):
        cli = np.array([rows[code][column] for code in baseline["zone_code"]], dtype=float)
        np.testing.assert_allclose(cli, baseline[column].to_numpy(dtype=float), rtol=1e-12)
    for key in ("distance_note", "population_year", "boundary_version", "weight_basis"):
        assert payload["settings"][key] == baseline.attrs[key]
    assert payload["settings"]["unallocated"] == baseline.attrs["unallocated"]


def test_bydel_report_with_candidates_equals_the_apps_scenario(app_path, capsys) -> None:
    _, combined, _ = app_path
    assert (
        main(["bydel-report", *OPTIONS, "--candidates", str(CANDIDATES), "--format", "json"]) == 0
    )
    rows = {r["zone_code"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    for column in ("residents_within_threshold", "n_brukerrom", "median_distance_m"):
        cli = np.array([rows[code][column] for code in combined["zone_code"]], dtype=float)
        np.testing.assert_allclose(cli, combined[column].to_numpy(dtype=float), rtol=1e-12)
    # the candidates really changed something: Grorud and Stovner gain a brukerrom
    assert rows["0301"]["n_brukerrom"] > 1


def test_exported_workbook_is_the_same_from_both(app_path, tmp_path) -> None:
    baseline, combined, candidates = app_path
    services = Study.load().services  # the registry: its unplaced rows get their own sheet
    app_book = _sheets(
        table_bytes(baseline, combined, "xlsx", candidates, services), tmp_path, "app.xlsx"
    )
    out = tmp_path / "cli.xlsx"
    assert (
        main(["export", "table", *OPTIONS, "--candidates", str(CANDIDATES), "--out", str(out)]) == 0
    )
    cli_book = _sheets(out.read_bytes(), tmp_path, "cli-copy.xlsx")
    assert (
        list(app_book)
        == list(cli_book)
        == [
            "Bydeler",
            "Kandidatsammenligning",
            "Kandidater",
            "Ikke plassert",
            "Om tabellen",
        ]
    )
    for sheet in app_book:
        assert len(app_book[sheet]) == len(cli_book[sheet]), sheet
        for app_row, cli_row in zip(app_book[sheet], cli_book[sheet], strict=True):
            for a, c in zip(app_row, cli_row, strict=True):
                if isinstance(a, float) and isinstance(c, float):
                    assert a == pytest.approx(c, rel=1e-12), sheet
                else:
                    assert a == c, (sheet, app_row, cli_row)
    # the fictitious example sites stay labelled so in the candidate list
    qualities = {row[-1] for row in cli_book["Kandidater"][1:]}
    assert qualities == {"fiktiv"}
