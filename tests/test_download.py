"""Downloading reference data: checked size and checksum, atomic, progress, offline messages.

No test goes on the internet: ``urlopen`` is replaced by a fake that serves bytes from memory.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from geo.cli.main import main
from geo.data import datasets, download
from geo.data.datasets import DATASETS, Dataset
from geo.data.population import load_bydel_series, series_from_csdata
from geo.errors import DatasetMissingError


class _Response(io.BytesIO):
    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _opener(payloads: dict[str, bytes], cut_after: int | None = None):
    """A fake ``urlopen``: serves ``payloads[url]``; ``cut_after`` breaks the stream mid-way."""

    def urlopen(url: str, timeout: float = 0.0) -> _Response:
        if url not in payloads:
            raise OSError("Name or service not known")
        body = payloads[url]
        if cut_after is not None:
            response = _Response(body[:cut_after])

            def read(n: int = -1, _read=response.read) -> bytes:
                chunk = _read(n)
                if not chunk:
                    raise OSError("Connection reset by peer")
                return chunk

            response.read = read  # type: ignore[method-assign]
            return response
        return _Response(body)

    return urlopen


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("OSLO_COVERAGE_CACHE", str(folder))
    return folder


@pytest.fixture
def fake_dataset(monkeypatch: pytest.MonkeyPatch) -> tuple[Dataset, bytes]:
    body = b"bydel_code,value\n030101,1\n" * 1000
    ds = Dataset(
        key="test_table",
        relpath="test/table.csv",
        title="Testtabell",
        source="Test",
        licence="CC0",
        date="2026",
        url="https://example.org/table.csv",
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        optional=True,
    )
    monkeypatch.setitem(DATASETS, ds.key, ds)
    return ds, body


def test_download_is_checked_and_lands_in_the_cache(cache: Path, fake_dataset) -> None:
    ds, body = fake_dataset
    seen: list[tuple[str, int, int]] = []
    path = download.fetch(
        ds.key, progress=lambda *a: seen.append(a), opener=_opener({ds.url: body})
    )
    assert path == cache / ds.relpath and path.read_bytes() == body
    assert seen[-1] == (ds.key, len(body), len(body))
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)
    assert datasets.find_dataset(ds.key, data_dir=cache.parent / "nowhere") == path
    assert list(path.parent.iterdir()) == [path]  # no .part left


def test_altered_download_is_refused_and_leaves_nothing(cache: Path, fake_dataset) -> None:
    ds, body = fake_dataset
    altered = body[:-1] + b"2"
    with pytest.raises(DatasetMissingError, match="sjekksummen stemmer ikke") as info:
        download.fetch(ds.key, opener=_opener({ds.url: altered}))
    assert "Testtabell" in str(info.value) and ds.url in str(info.value)
    assert not (cache / ds.relpath).exists()
    assert not any((cache / "test").iterdir())


def test_cut_download_is_refused_and_keeps_the_old_file(cache: Path, fake_dataset) -> None:
    ds, body = fake_dataset
    target = cache / ds.relpath
    target.parent.mkdir(parents=True)
    target.write_bytes(b"what the user already had")
    with pytest.raises(DatasetMissingError, match="Connection reset"):
        download.fetch(ds.key, opener=_opener({ds.url: body}, cut_after=5000))
    assert target.read_bytes() == b"what the user already had"
    assert sorted(p.name for p in target.parent.iterdir()) == ["table.csv"]


def test_short_download_names_the_sizes(cache: Path, fake_dataset, monkeypatch) -> None:
    ds, body = fake_dataset
    monkeypatch.setitem(DATASETS, ds.key, replace(ds, sha256=""))
    with pytest.raises(DatasetMissingError, match=f"fikk 100 byte, ventet {len(body)}"):
        download.fetch(ds.key, opener=_opener({ds.url: body[:100]}))


def test_gzip_derivation(cache: Path, fake_dataset, monkeypatch) -> None:
    ds, body = fake_dataset
    monkeypatch.setitem(DATASETS, ds.key, replace(ds, relpath="test/table.csv.gz", derive="gzip"))
    path = download.fetch(ds.key, opener=_opener({ds.url: body}))
    assert gzip.decompress(path.read_bytes()) == body


def test_fetch_all_offline_names_every_missing_file(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty-data"
    empty.mkdir()
    outcomes = download.fetch_all(empty, opener=_opener({}))
    by_key = {o.key: o for o in outcomes}
    assert set(by_key) == {k for k, d in DATASETS.items() if not d.project_file}
    assert all(o.status == "feil" for o in outcomes)
    boundary = by_key["bydeler_pbe2013"].message
    assert "Name or service not known" in boundary
    assert "boundaries/oslo_bydeler_pbe2013.geojson" in boundary
    # files put together by hand say where to get them instead of failing a download
    assert "for hånd" in by_key["need_indicators"].message
    assert download.missing_datasets(empty, optional=False) == [
        "bydeler_pbe2013",
        "delbydeler",
        "population_series",
    ]


def test_cli_fetch_all_reports_present_files(data_dir: Path, capsys) -> None:
    """With the reference data present nothing is downloaded and every file is named."""
    assert main(["fetch", "--all", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    n = sum(not d.project_file for d in DATASETS.values())
    # walk_network (a whole-Oslo download) is the one not in the reference data
    assert f"Referansedata: {n - 1} av {n} datasett finnes." in out
    assert "walk_network: feil" in out and "oslo-coverage fetch network" in out
    assert main(["fetch"]) == 2
    assert "--all" in capsys.readouterr().err
    assert main(["fetch", "no-such-dataset"]) == 2
    assert "Ukjent datasett «no-such-dataset»" in capsys.readouterr().err


def test_series_from_csdata_sums_ages_and_derives_unknown() -> None:
    """A small csdata-shaped table: sexes, ages, imputed rows and years before 2015."""
    rows = []
    codes = {
        "municip_nor0301": 1000,
        **{f"wardoslo_nor0301{i:02d}": 50 + i for i in range(1, 16)},
        "extrawardoslo_nor030116": 7,
        "extrawardoslo_nor030117": 3,
    }
    for code, base in codes.items():
        for year in (2014, 2015, 2016):
            for age in (0, 1, 2):
                rows.append((code, age, "total", year, base + year - 2015, False))
                rows.append((code, age, "male", year, 999_999, False))
            rows.append((code, 3, "total", year, 888_888, True))  # imputed: left out
    frame = pd.DataFrame(
        rows, columns=["location_code", "age", "sex", "calyear", "pop_jan1_n", "imputed"]
    )
    text = series_from_csdata(frame)
    lines = text.splitlines()
    assert lines[0] == "bydel_code,row_type,bydel,pop_2015_01_01,pop_2016_01_01"
    assert lines[1] == "0301,total,Oslo i alt,3000,3003"
    assert lines[2] == "030101,bydel,Gamle Oslo,153,156"
    assert lines[17] == "030116,sentrum_or_marka,Sentrum,21,24"
    bydeler = sum(3 * (50 + i) for i in range(1, 16)) + 21 + 9
    assert lines[-1].startswith("030199,unallocated_derived,") and lines[-1].endswith(
        f",{3000 - bydeler},{3003 - bydeler - 17 * 3}"
    )


def test_series_from_csdata_reads_back(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        [
            (code, 0, "total", 2026, n, False)
            for code, n in {
                "municip_nor0301": 100,
                **{f"wardoslo_nor0301{i:02d}": 5 for i in range(1, 16)},
                "extrawardoslo_nor030116": 4,
                "extrawardoslo_nor030117": 1,
            }.items()
        ],
        columns=["location_code", "age", "sex", "calyear", "pop_jan1_n", "imputed"],
    )
    path = tmp_path / "series.csv"
    path.write_text(series_from_csdata(frame, first_year=2026), encoding="utf-8")
    series = load_bydel_series(path)
    assert series.attrs["population_year"] == 2026
    assert series.attrs["city_total"] == 100 and series.attrs["unknown_bydel"] == 20
    assert int(series["population"].sum()) == 80
