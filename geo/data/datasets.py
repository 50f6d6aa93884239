"""Registry of the reference datasets the project reads, where each is found and where it comes from.

Reference data is never copied into the repository: it is resolved at run time in the data
directory (see :func:`geo.settings.data_dir`). For a machine with internet, each dataset names its
public source and, where one exists, how to fetch it (:func:`fetch`).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo import settings
from geo.errors import DatasetMissingError
from geo.labels import SOURCE_LABELS

__all__ = [
    "DATASETS",
    "GEOCODER_URL",
    "TILE_ATTRIBUTION",
    "Dataset",
    "dataset_path",
    "fetch",
    "find_dataset",
    "list_datasets",
    "source_line",
]


@dataclass(frozen=True)
class Dataset:
    """One reference dataset.

    Attributes
    ----------
    key
        Short name used in code and on the command line.
    relpath
        Path inside the data directory (or the project's ``data/`` for project files).
    title
        What it is, in bokmål.
    source
        Who publishes it (for source lines: "Kilde: …").
    licence
        Licence of the data.
    date
        Date or vintage of the data.
    url
        Public source a machine with internet can fetch from (empty if fetched otherwise).
    how_to_get
        What to do when the file is missing.
    project_file
        True when the file is curated in this repository's ``data/`` (not reference data).

    """

    key: str
    relpath: str
    title: str
    source: str
    licence: str
    date: str
    url: str = ""
    how_to_get: str = ""
    project_file: bool = False
    optional: bool = False


_BYDELSFAKTA = (
    "https://raw.githubusercontent.com/oslokommune/bydelsfakta/"
    "bde973dd76343c53bb00c4610b4d68f5e4aa417a/src/config/geoData/"
)


DATASETS: dict[str, Dataset] = {
    d.key: d
    for d in [
        Dataset(
            key="bydeler_pbe2013",
            relpath="boundaries/oslo_bydeler_pbe2013.geojson",
            title="Bydelsgrenser (15 bydeler + Sentrum), PBE 2013",
            source="Oslo kommune (PBE)",
            licence="MIT (oslokommune/bydelsfakta)",
            date="2013-01-20",
            url=_BYDELSFAKTA + "oslo_bydeler2.geojson",
            how_to_get=(
                "Last ned oslo_bydeler2.geojson fra oslokommune/bydelsfakta og lagre som "
                "boundaries/oslo_bydeler_pbe2013.geojson i datamappen, eller kjør "
                "`oslo-coverage fetch bydeler_pbe2013` på en maskin med internett."
            ),
        ),
        Dataset(
            key="delbydeler",
            relpath="boundaries/oslo_delbydeler.geojson",
            title="Delbydeler (97), Oslo kommune",
            source="Oslo kommune (PBE)",
            licence="MIT (oslokommune/bydelsfakta)",
            date="2019-02-08",
            url=_BYDELSFAKTA + "oslo_delbydeler.geojson",
            how_to_get="Lagre oslo_delbydeler.geojson fra oslokommune/bydelsfakta som boundaries/oslo_delbydeler.geojson.",
        ),
        Dataset(
            key="population",
            relpath="population/oslo_bydel_population.csv",
            title="Folkemengde per bydel (1.1.2016 og 1.1.2020)",
            source="SSB / Oslo kommune",
            licence="NLOD / CC BY 4.0 (offentlig statistikk)",
            date="2020-01-01",
            url="https://statistikkbank.oslo.kommune.no/",
            how_to_get=(
                "Legg en CSV med kolonnene bydel_code,bydel,population_<år>_01_01 i "
                "population/oslo_bydel_population.csv (tall fra Oslo statistikkbank / SSB tabell 07459)."
            ),
        ),
        Dataset(
            key="walk_network",
            relpath="network/oslo_walk.npz",
            title="Gangnett for Oslo (OpenStreetMap, osmnx network_type='walk')",
            source="© OpenStreetMap-bidragsytere",
            licence="ODbL 1.0",
            date="",
            url="https://overpass-api.de/api/interpreter",
            how_to_get=(
                "På en maskin med internett: `oslo-coverage fetch walk_network` (laster ned med osmnx og "
                "lagrer network/oslo_walk.npz). Uten internett: legg et OSM-uttrekk som network/oslo.osm "
                "(eller .osm.bz2) eller en GraphML-fil som network/oslo_walk.graphml i datamappen."
            ),
            optional=True,
        ),
        Dataset(
            key="services",
            relpath="services.csv",
            title="Lavterskeltilbud i Oslo (tjenesteregister)",
            source="Oslo kommune, Kirkens Bymisjon, Frelsesarmeen m.fl. (kilde per rad)",
            licence="Fakta med kilde per rad",
            date="2026-11-24",
            how_to_get="Følger med prosjektet (data/services.csv).",
            project_file=True,
        ),
        Dataset(
            key="bydel_groups",
            relpath="bydel_groups.csv",
            title="Gruppering av bydeler (indre by / ytre by)",
            source="Oslo kommune (statistikk), se data/bydel_groups.md",
            licence="Definisjon, redigerbar",
            date="",
            how_to_get="Følger med prosjektet (data/bydel_groups.csv).",
            project_file=True,
        ),
    ]
}


GEOCODER_URL = "https://ws.geonorge.no/adresser/v1/sok"
"""Kartverket's open address API, used for address search when a machine has internet."""


def dataset_path(key: str, data_dir: str | Path | None = None) -> Path:
    """Return where dataset ``key`` is expected (it may not exist)."""
    ds = DATASETS[key]
    base = settings.project_data_dir() if ds.project_file else settings.data_dir(data_dir)
    return base / ds.relpath


def find_dataset(key: str, data_dir: str | Path | None = None) -> Path:
    """Return the path of dataset ``key``, or raise :class:`DatasetMissingError` saying what to do.

    Looks in the resolved data directory, then in the download cache.
    """
    if key not in DATASETS:
        raise KeyError(f"Ukjent datasett: {key!r}. Kjente: {', '.join(DATASETS)}")
    path = dataset_path(key, data_dir)
    if path.exists():
        return path
    cached = settings.cache_dir() / DATASETS[key].relpath
    if cached.exists():
        return cached
    ds = DATASETS[key]
    raise DatasetMissingError(f"Datasettet «{ds.title}» mangler: fant ikke {path}. {ds.how_to_get}")


def list_datasets(data_dir: str | Path | None = None) -> pd.DataFrame:
    """One row per dataset: key, title, where it was found (or 'mangler'), source, licence, date."""
    rows = []
    for key, ds in DATASETS.items():
        try:
            found = str(find_dataset(key, data_dir))
        except DatasetMissingError:
            found = "mangler"
        rows.append(
            {
                "key": key,
                "title": ds.title,
                "found_at": found,
                "source": ds.source,
                "licence": ds.licence,
                "date": ds.date,
                "url": ds.url,
                "optional": ds.optional,
            }
        )
    return pd.DataFrame(rows)


def fetch(key: str, timeout_s: float = 60.0) -> Path:
    """Download dataset ``key`` from its public source into the cache folder.

    Needs internet. The walking network is fetched by
    :func:`geo.network.build.download_walk_network` (osmnx) instead.

    Raises
    ------
    DatasetMissingError
        When the download fails (no internet, source moved); the message says what to do instead.

    """
    ds = DATASETS[key]
    target = settings.cache_dir() / ds.relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    if key == "walk_network":
        raise DatasetMissingError(
            "Gangnettet lastes ned med `oslo-coverage fetch walk_network` "
            "(geo.network.build.download_walk_network)."
        )
    if not ds.url.startswith("https://raw."):
        raise DatasetMissingError(f"«{ds.title}» kan ikke lastes ned automatisk. {ds.how_to_get}")
    try:
        with urllib.request.urlopen(ds.url, timeout=timeout_s) as response:
            payload = response.read()
    except OSError as exc:
        raise DatasetMissingError(
            f"Kunne ikke laste ned «{ds.title}» fra {ds.url} ({exc}). {ds.how_to_get}"
        ) from exc
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.write_bytes(payload)
    tmp.replace(target)
    return target


TILE_ATTRIBUTION = "Bakgrunnskart: © OpenStreetMap-bidragsytere"
"""Credit for background map tiles (named only when tiles were drawn)."""


def source_line(keys: Sequence[str], extra: Sequence[str] = (), tiles: bool = False) -> str:
    """``"Kilde: Bydelsgrenser: Oslo kommune (PBE), 2013 · …"`` for exactly the datasets drawn.

    OpenStreetMap is named only when an OSM-derived layer was used (walking network in
    ``keys``, or ``tiles=True``).
    """
    parts: list[str] = []
    for key in keys:
        ds = DATASETS.get(key)
        if ds is None:
            continue
        label = SOURCE_LABELS.get(key, ds.title)
        text = f"{label}: {ds.source}"
        if ds.date:
            text += f", {ds.date[:4]}"
        if ds.project_file:
            text += f" (data/{ds.relpath})"
        if text not in parts:
            parts.append(text)
    parts.extend(extra)
    if tiles:
        parts.append(TILE_ATTRIBUTION)
    return "Kilde: " + " · ".join(parts)
