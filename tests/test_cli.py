import json
import subprocess
import sys

import pytest

from geo.cli.main import main


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "geo.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_bydel_report_16_rows_plus_city(capsys):
    assert main(["bydel-report", "--format", "json", "--cell", "250"]) == 0
    payload = json.loads(capsys.readouterr().out)
    rows = payload["rows"]
    assert len(rows) == 17
    assert rows[-1]["zone"] == "Hele byen"
    assert {r["zone"] for r in rows[:-1]} >= {
        "Gamle Oslo",
        "St. Hanshaugen",
        "Søndre Nordstrand",
        "Sentrum",
    }
    for row in rows:
        for key in (
            "population",
            "n_services",
            "services_per_10k",
            "share_within_threshold",
            "median_distance_m",
            "p90_distance_m",
            "location_quotient",
        ):
            assert row[key] is not None
    assert any("luftlinje" in n for n in payload["notes"])


def test_bydel_report_table_as_a_user_runs_it():
    result = run(
        "bydel-report",
        "--categories",
        "brukerrom,sprøyteutdeling",
        "--threshold",
        "800",
        "--cell",
        "250",
    )
    assert result.returncode == 0, result.stderr
    assert "Søndre Nordstrand" in result.stdout and "Hele byen" in result.stdout
    assert "Terskel: 800 m" in result.stdout


def test_bad_category_exit_2():
    result = run("bydel-report", "--categories", "kaffe")
    assert result.returncode == 2
    assert "Ukjent kategori «kaffe»" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_broken_file_reports_rows_and_exit_2(tmp_path):
    path = tmp_path / "tjenester.csv"
    path.write_text(
        "id,name,category,lat,lon\na,A,brukerrom,59.91,10.75\nb,B,tull,59.92,10.76\nc,C,lasso,59.93,xx\n",
        encoding="utf-8",
    )
    result = run("validate", str(path), "--as", "services")
    assert result.returncode == 2
    assert "rader lest, 2 gode rader" in result.stdout or "2 gode rader" in result.stdout
    assert "tull" in result.stderr and "xx" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_data_dir_says_what_to_do(tmp_path):
    result = run("bydel-report", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "mangler" in result.stderr.lower() or "fant ikke" in result.stderr.lower()


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_formats(fmt, tmp_path):
    out = tmp_path / f"r.{fmt}"
    assert main(["bydel-report", "--format", fmt, "--out", str(out), "--cell", "250"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "Hele byen" in text
