"""Unit tests of geo.uploads: names, escaping, the size cap, checks before reading, catch-all."""

from __future__ import annotations

import io
import zipfile

import pytest

from geo.errors import Problem
from geo.inputs import archive
from geo.inputs.archive import max_unpacked_bytes
from geo.settings import max_upload_bytes
from geo.workspace import uploads
from geo.workspace.uploads import (
    GENERIC_ERROR,
    check_upload,
    clean_filename,
    read_upload,
    safe_text,
    upload_limit_text,
)

GOOD_CSV = (
    b"id,name,category,lat,lon\nt1,FIKTIV ved Linderud T-banestasjon,brukerrom,59.94056,10.83917\n"
)


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("C:\\Users\\planlegger\\Skrivebord\\kandidater.csv", "kandidater.csv"),
        ("/absolutt/sti/punkter.geojson", "punkter.geojson"),
        ("rapport\u202egpj.csv", "rapportgpj.csv"),  # right-to-left override removed
        ("lin\x00je\nskift.csv", "linje skift.csv"),
        ("", "opplastet fil"),
        ("..", "opplastet fil"),
        ("mappe/", "mappe"),
    ],
)
def test_clean_filename(name, clean):
    assert clean_filename(name) == clean


def test_long_filename_keeps_suffix():
    name = "k" * 500 + ".xlsx"
    clean = clean_filename(name)
    assert len(clean) == uploads.MAX_NAME_CHARS
    assert clean.endswith("….xlsx")


def test_safe_text_escapes_html_and_markdown_links():
    assert safe_text("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert (
        safe_text("![x](http://example.invalid/p.png)") == "!\\[x\\](http://example.invalid/p.png)"
    )
    assert safe_text("a & b $x$ `kode`") == "a &amp; b \\$x\\$ \\`kode\\`"
    assert safe_text('"sitat"') == "&quot;sitat&quot;"
    assert safe_text("nul\x00tegn") == "nultegn"
    assert safe_text("x" * 50, limit=10) == "x" * 9 + "…"


def test_max_upload_bytes_env_override(monkeypatch):
    monkeypatch.delenv("OSLO_COVERAGE_MAX_UPLOAD_MB", raising=False)
    assert max_upload_bytes() == 50 * 1024 * 1024
    assert upload_limit_text() == "Største filstørrelse: 50 MB."
    monkeypatch.setenv("OSLO_COVERAGE_MAX_UPLOAD_MB", "2.5")
    assert max_upload_bytes() == int(2.5 * 1024 * 1024)
    assert upload_limit_text() == "Største filstørrelse: 2,5 MB."
    assert max_unpacked_bytes() == 10 * max_upload_bytes()
    for bad in ("ikke et tall", "-3", "0", "nan"):
        monkeypatch.setenv("OSLO_COVERAGE_MAX_UPLOAD_MB", bad)
        assert max_upload_bytes() == 50 * 1024 * 1024


def test_size_cap_is_checked_first_and_stated(monkeypatch):
    monkeypatch.setenv("OSLO_COVERAGE_MAX_UPLOAD_MB", "1")
    (problem,) = check_upload("stor.exe", b"x" * (1024 * 1024 + 1))
    assert "Største tillatte størrelse er 1 MB" in problem.message
    assert check_upload("akkurat.csv", GOOD_CSV + b"\n" * (1024 * 1024 - len(GOOD_CSV))) == []


def test_check_upload_accepts_a_good_file_and_shapefile_zip():
    assert check_upload("kandidater.csv", GOOD_CSV) == []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mappe/punkter.shp", b"\x00" * 100)
        zf.writestr("mappe/punkter.dbf", b"\x00" * 100)
    assert check_upload("punkter.zip", buffer.getvalue()) == []


def test_zip_members_counted_from_the_end_record_before_parsing(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for i in range(300):
            zf.writestr(f"f{i}.txt", b"")

    def fail(*args, **kwargs):
        raise AssertionError("ZipFile must not be opened for an archive with too many members")

    monkeypatch.setattr(archive.zipfile, "ZipFile", fail)
    (problem,) = check_upload("mange.zip", buffer.getvalue())
    assert "300 filer" in problem.message


def test_xlsx_is_checked_as_a_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<a/>" * 2_000_000)
    (problem,) = check_upload("bombe.xlsx", buffer.getvalue())
    assert "Regnearket" in problem.message and "komprimert" in problem.message


def test_zip_member_names_are_escaped():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../<img src=x onerror=alert(1)>.shp", b"x")
    (problem,) = check_upload("lur.zip", buffer.getvalue())
    assert "ulovlig filsti" in problem.message
    assert "<" not in problem.message and "&lt;img" in problem.message


def test_read_upload_keeps_good_rows_and_names_file():
    result = read_upload(
        "C:\\tmp\\kandidater.csv", GOOD_CSV + b"t2,,brukerrom,59.9,10.8\n", "candidates"
    )
    assert len(result.frame) == 1
    (problem,) = result.errors
    assert problem.file == "kandidater.csv" and problem.row == 3 and problem.column == "name"


def test_read_upload_accepts_bytearray_and_memoryview():
    assert len(read_upload("a.csv", bytearray(GOOD_CSV), "candidates").frame) == 1
    assert len(read_upload("a.csv", memoryview(GOOD_CSV), "userdata").frame) == 1


def test_read_upload_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        read_upload("a.csv", GOOD_CSV, "pickles")


@pytest.mark.parametrize("kind", ["services", "candidates", "userdata"])
def test_unexpected_errors_become_one_generic_problem(monkeypatch, kind, caplog):
    def explode(data, file):
        raise RuntimeError("<b>hemmelig innhold fra filen</b>")

    monkeypatch.setitem(uploads._READERS, kind, explode)
    result = read_upload("<b>fil</b>.csv", GOOD_CSV, kind)
    (problem,) = result.problems
    assert problem.message == safe_text(GENERIC_ERROR)
    assert "hemmelig" not in problem.message and "Traceback" not in problem.message
    assert problem.file == "b&gt;.csv"
    assert len(result.frame) == 0
    assert "hemmelig" in caplog.text  # the details go to the server log only


def test_memory_error_is_caught(monkeypatch):
    def explode(data, file):
        raise MemoryError

    monkeypatch.setitem(uploads._READERS, "userdata", explode)
    (problem,) = read_upload("a.csv", GOOD_CSV, "userdata").problems
    assert problem.message == safe_text(GENERIC_ERROR)


def test_problems_from_readers_are_escaped(monkeypatch):
    def reader(data, file):
        from geo.errors import InputError

        raise InputError(Problem(file, 2, "<kol>", "Verdien «<script>» er ugyldig."))

    monkeypatch.setitem(uploads._READERS, "userdata", reader)
    (problem,) = read_upload("a.csv", GOOD_CSV, "userdata").problems
    assert problem.column == "&lt;kol&gt;"
    assert problem.message == "Verdien «&lt;script&gt;» er ugyldig."


def test_no_pickle_or_eval_in_the_upload_path():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1] / "geo"
    modules = [
        root / "workspace" / "uploads.py",
        root / "data" / "services.py",
        root / "scenarios.py",
    ]
    modules += sorted((root / "inputs").glob("*.py"))
    for path in modules:
        source = path.read_text(encoding="utf-8")
        for forbidden in ("import pickle", "pickle.load", "eval(", "exec(", "marshal", "shelve"):
            assert forbidden not in source, f"{forbidden} in {path}"
