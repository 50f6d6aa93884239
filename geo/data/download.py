"""Downloading reference data from its public source: checked, atomic, with progress.

A download is streamed to a ``.part`` file beside its target while its size and SHA-256 are
counted; only when both match the registry (:data:`geo.data.datasets.DATASETS`) is it turned into
the dataset (as is, gzipped, or derived) and moved into place in one rename. A failed, cut or
altered download leaves nothing behind, and the message names the dataset, the URL and what
differed. Downloads go to the project's cache folder (:func:`geo.settings.cache_dir`), where
:func:`geo.data.datasets.find_dataset` looks after the data directory: the reference data
directory itself is never written to.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo import settings
from geo.data.datasets import DATASETS, Dataset, find_dataset, missing_message
from geo.data.population import series_from_csdata
from geo.errors import DatasetMissingError
from geo.labels import format_mb

__all__ = [
    "FetchOutcome",
    "Opener",
    "Progress",
    "fetch",
    "fetch_all",
    "missing_datasets",
]

Progress = Callable[[str, int, int], None]
"""Called as ``progress(key, bytes_done, bytes_total)`` while a download runs."""

Opener = Callable[..., Any]

_CHUNK = 1 << 16


@dataclass(frozen=True)
class FetchOutcome:
    """What :func:`fetch_all` did for one dataset.

    ``status`` is ``"fantes"``, ``"lastet ned"`` or ``"feil"``; ``message`` says where the file
    is, or what went wrong and what to do.
    """

    key: str
    status: str
    message: str


def missing_datasets(data_dir: str | Path | None = None, *, optional: bool = True) -> list[str]:
    """Keys of the datasets not found in the data directory or the download cache."""
    missing = []
    for key, ds in DATASETS.items():
        if ds.project_file or (ds.optional and not optional):
            continue
        try:
            find_dataset(key, data_dir)
        except DatasetMissingError:
            missing.append(key)
    return missing


def fetch(
    key: str,
    *,
    progress: Progress | None = None,
    timeout_s: float = 60.0,
    opener: Opener = urllib.request.urlopen,
) -> Path:
    """Download dataset ``key`` from its public source into the cache folder; return its path.

    Raises
    ------
    DatasetMissingError
        When the dataset has no single public file, the download fails (no internet, moved
        source) or its size or checksum differs from the registry; nothing half-written is left.

    """
    ds = DATASETS[key]
    if not ds.url:
        raise DatasetMissingError(missing_message(key))
    target = settings.cache_dir() / ds.relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    try:
        _download(ds, part, progress, timeout_s, opener)
        _finish(ds, part, target)
    except (OSError, ValueError) as exc:
        raise DatasetMissingError(
            f"Kunne ikke laste ned «{ds.title}» fra {ds.url}: {exc}. {missing_message(key)}"
        ) from exc
    finally:
        part.unlink(missing_ok=True)
    return target


def _download(
    ds: Dataset, part: Path, progress: Progress | None, timeout_s: float, opener: Opener
) -> None:
    digest = hashlib.sha256()
    done = 0
    with opener(ds.url, timeout=timeout_s) as response, part.open("wb") as out:
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(ds.key, done, ds.size)
    if ds.size and done != ds.size:
        raise ValueError(f"fikk {done} byte, ventet {ds.size} (avbrutt eller endret fil)")
    if ds.sha256 and digest.hexdigest() != ds.sha256:
        raise ValueError(
            f"sjekksummen stemmer ikke (SHA-256 {digest.hexdigest()[:12]}…, ventet "
            f"{ds.sha256[:12]}…): filen hos kilden er endret"
        )


def _finish(ds: Dataset, part: Path, target: Path) -> None:
    """Turn the checked download into the dataset and move it into place in one rename."""
    ready = target.with_name(target.name + ".ready")
    try:
        if ds.derive == "gzip":
            with part.open("rb") as src, gzip.open(ready, "wb") as dst:
                shutil.copyfileobj(src, dst)
        elif ds.derive == "csdata":
            ready.write_text(series_from_csdata(_read_rdata(part)), encoding="utf-8")
        else:
            part.replace(ready)
        ready.replace(target)
    finally:
        ready.unlink(missing_ok=True)


def _read_rdata(path: Path) -> Any:
    # pyreadr is an optional dependency ("fetch" extra): only this derivation needs it.
    try:
        import pyreadr
    except ImportError as exc:
        raise OSError("Python-pakken pyreadr mangler (`pip install -e '.[fetch]'`)") from exc
    objects = pyreadr.read_r(str(path), use_objects=["nor_population_by_age_b2024"])
    return objects["nor_population_by_age_b2024"]


def fetch_all(
    data_dir: str | Path | None = None,
    *,
    progress: Progress | None = None,
    opener: Opener = urllib.request.urlopen,
) -> list[FetchOutcome]:
    """Download every dataset that is missing and has a public source; one outcome per dataset.

    Never stops at the first failure: every missing file is tried and reported (offline, each
    outcome names the file and where to put it).
    """
    outcomes = []
    for key, ds in DATASETS.items():
        if ds.project_file:
            continue
        try:
            found = find_dataset(key, data_dir)
        except DatasetMissingError:
            found = None
        if found is not None:
            outcomes.append(FetchOutcome(key, "fantes", str(found)))
            continue
        if not ds.url:
            outcomes.append(FetchOutcome(key, "feil", missing_message(key)))
            continue
        try:
            path = fetch(key, progress=progress, opener=opener)
        except DatasetMissingError as exc:
            outcomes.append(FetchOutcome(key, "feil", str(exc)))
        else:
            size = format_mb(path.stat().st_size)
            outcomes.append(FetchOutcome(key, "lastet ned", f"{path} ({size} MB)"))
    return outcomes
