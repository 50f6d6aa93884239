"""The hostile-input corpus: every broken or hostile file gets a clear message and never a crash.

Cases and expectations are in ``tests/hostile/expected.csv`` (file, kind, expected text of the
message, rows kept, row and column named, the name the browser sends, environment). Small
text files are committed in ``tests/hostile/files/``; binary, byte-exact and huge ones are made
by ``tests/hostile/make_corpus.py`` into a temporary folder at test time.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import tempfile
from pathlib import Path

import pytest

from geo.inputs.problems import LoadResult
from geo.workspace.uploads import clean_filename, read_upload, safe_text

HOSTILE = Path(__file__).parent / "hostile"
FILES = HOSTILE / "files"

_spec = importlib.util.spec_from_file_location("make_corpus", HOSTILE / "make_corpus.py")
assert _spec is not None and _spec.loader is not None
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)


def _cases() -> list[dict[str, str]]:
    with open(HOSTILE / "expected.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


CASES = _cases()


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """Folder the generated corpus files are written into (each one on first use)."""
    return tmp_path_factory.mktemp("hostile_generated")


def _source(name: str, generated: Path) -> Path:
    committed = FILES / name
    if committed.exists():
        return committed
    return make_corpus.build(name, generated)


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _case_id(case: dict[str, str]) -> str:
    return f"{case['file']}-{case['kind']}" + ("-renamed" if case["upload_name"] else "")


def test_corpus_is_complete():
    committed = {p.name for p in FILES.iterdir()}
    generated = set(make_corpus.BUILDERS)
    assert not committed & generated
    files = committed | generated
    listed = {c["file"] for c in CASES}
    assert len(files) >= 35
    assert listed == files, f"not in expected.csv: {files - listed}; missing: {listed - files}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_hostile_file(case, generated, tmp_path, monkeypatch):
    source = _source(case["file"], generated)
    data = source.read_bytes()
    before = _snapshot(FILES)
    work = tmp_path / "cwd"
    temp = tmp_path / "temp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.delenv("OSLO_COVERAGE_MAX_UPLOAD_MB", raising=False)
    monkeypatch.delenv("OSLO_COVERAGE_MAX_ROWS", raising=False)
    if case["env"]:
        key, value = case["env"].split("=", 1)
        monkeypatch.setenv(key, value)
    upload_name = case["upload_name"] or case["file"]

    result = read_upload(upload_name, data, case["kind"])  # must never raise

    assert isinstance(result, LoadResult)
    shown_name = safe_text(clean_filename(upload_name))
    expected = case["expected"]
    if expected:
        matching = [p for p in result.problems if safe_text(expected) in p.message]
        assert matching, f"no message with {expected!r}: {[p.message for p in result.problems]}"
        assert all(p.file == shown_name for p in matching)
        if case["row"]:
            assert int(case["row"]) in {p.row for p in matching}
        if case["column"]:
            assert case["column"] in {p.column for p in matching}
    else:
        assert result.errors == [], [str(p) for p in result.errors]
    assert len(result.frame) == int(case["kept"])
    if len(result.frame) and case["kind"] in {"services", "candidates"}:
        assert result.frame.crs.to_epsg() == 25832
        assert result.frame.geometry.notna().all() or case["kind"] == "services"
    for problem in result.problems:
        assert "<" not in problem.message + problem.file + (problem.column or "")
        assert ">" not in problem.message + problem.file + (problem.column or "")
        assert "Traceback" not in problem.message
        assert "/vsimem" not in problem.message
        assert len(problem.message) < 700
        assert problem.file == shown_name
    # Nothing was written: not in the working folder, not in the temp folder, not in the corpus,
    # and no pickle was ever loaded (it would have created its marker file).
    assert _snapshot(work) == set()
    assert _snapshot(temp) == set()
    assert _snapshot(FILES) == before
    assert not (generated / make_corpus.PICKLE_MARKER).exists()
    assert not (FILES / make_corpus.PICKLE_MARKER).exists()


def test_generated_files_are_deterministic(tmp_path):
    for name in ("binary_garbage.csv", "zip_bomb_ratio.zip", "mixed_utf8_cp1252.csv"):
        first = make_corpus.build(name, tmp_path / "a").read_bytes()
        second = make_corpus.build(name, tmp_path / "b").read_bytes()
        assert first == second


def test_corpus_coordinates_are_the_cited_stations():
    # Every real coordinate in the corpus is one of the stations cited in
    # data/candidates_example.csv (labelled FIKTIV there and here).
    with open("data/candidates_example.csv", encoding="utf-8") as handle:
        cited = {(float(r["lat"]), float(r["lon"])) for r in csv.DictReader(handle)}
    assert set(make_corpus.STATIONS.values()) <= cited


def test_million_rows_is_generated_not_committed():
    assert not (FILES / "million_rows.csv").exists()
    assert sum(p.stat().st_size for p in FILES.iterdir()) < 100_000
    assert os.path.getsize(HOSTILE / "expected.csv") < 50_000
