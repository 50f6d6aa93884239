"""Registry of the reference datasets the project reads, where each is found and where it comes from.

Reference data is never copied into the repository: it is resolved at run time in the data
directory (see :func:`geo.settings.data_dir`). For a machine with internet, each dataset names its
public source and, where one exists, how to fetch it (:func:`fetch`).
"""

from __future__ import annotations

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
    "find_dataset",
    "list_datasets",
    "missing_message",
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
        Public source a machine with internet downloads from (empty when there is no single
        file to download: ``how_to_get`` says what to do).
    size
        Size in bytes of the download (checked).
    sha256
        SHA-256 of the download (checked before anything is written).
    derive
        How the download becomes the file: ``""`` (as is), ``"gzip"`` (compressed on the way) or
        ``"csdata"`` (the bydel series from the csdata package, see
        :func:`geo.data.population.series_from_csdata`).
    how_to_get
        What to do when the file is missing.
    project_file
        True when the file is curated in this repository's ``data/`` (not reference data).
    optional
        The product works without it (and says what is missing).

    """

    key: str
    relpath: str
    title: str
    source: str
    licence: str
    date: str
    url: str = ""
    size: int = 0
    sha256: str = ""
    derive: str = ""
    how_to_get: str = ""
    project_file: bool = False
    optional: bool = False


def _raw(repo: str, commit: str, path: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


_BYDELSFAKTA = ("oslokommune/bydelsfakta", "bde973dd76343c53bb00c4610b4d68f5e4aa417a")
_SSB = "Statistisk sentralbyrå"
_MANUAL = (
    "Filen er satt sammen for hånd fra flere offentlige kilder (se SOURCES.md i referansedataene) "
    "og kan ikke lastes ned som én fil: kopier {relpath} fra referansedataene (../shared/data) "
    "til datamappen."
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
            url=_raw(*_BYDELSFAKTA, "src/config/geoData/oslo_bydeler2.geojson"),
            size=561_936,
            sha256="64c2751f1216b7cd4b29bd1a75424fe3ceaed4fb4261928ac6bb73c9873da83d",
        ),
        Dataset(
            key="delbydeler",
            relpath="boundaries/oslo_delbydeler.geojson",
            title="Delbydeler (97), Oslo kommune",
            source="Oslo kommune (PBE)",
            licence="MIT (oslokommune/bydelsfakta)",
            date="2019-02-08",
            url=_raw(*_BYDELSFAKTA, "src/config/geoData/oslo_delbydeler.geojson"),
            size=1_231_231,
            sha256="8c509e846d96a91c74f78a65e0a54a24da7b28d375da302d39580922b74c6fce",
        ),
        Dataset(
            key="population_series",
            relpath="population/ssb_bydel_population_2015_2026.csv",
            title="Folkemengde per bydel 1.1.2015–2026 (SSB tabell 10826/07459)",
            source=_SSB,
            licence="NLOD 2.0",
            date="2026-01-01",
            url=_raw("niphr/csdata", "59345122ca61ff7572085f09944f613c0e956b8b", "R/sysdata.rda"),
            size=2_455_700,
            sha256="99bea3c0c36a66891bfb3b37678bdc2ad9854c2618b28df23c2eba45e0beb8a3",
            derive="csdata",
            how_to_get=(
                "Lastes ned fra R-pakken csdata (Folkehelseinstituttet) og regnes om til CSV; "
                "krever Python-pakken pyreadr (`pip install -e '.[fetch]'`)."
            ),
        ),
        Dataset(
            key="population_grid_100m",
            relpath="population/ssb_befolkning_100m_oslo_2015.csv",
            title="Befolkning på rutenett 100 m, Oslo 2015 (SSB)",
            source=_SSB,
            licence="NLOD",
            date="2015-01-01",
            url=_raw(
                "GeoForum/veiledning08",
                "fd48023488976ddbf7dd975ad799b6aa8ca0e851",
                "data/Oslo_bef_100m_2015.csv",
            ),
            size=169_967,
            sha256="ff731203293a6c5764148491882a6fe706fa3c42a43a52bea2ecc8cce7e3e6c8",
            optional=True,
        ),
        Dataset(
            key="population_grid_250m",
            relpath="population/ssb_befolkning_250m_norge_2015.csv.gz",
            title="Befolkning på rutenett 250 m, Norge 2015 (SSB)",
            source=_SSB,
            licence="NLOD",
            date="2015-01-01",
            url=_raw(
                "GeoForum/veiledning08",
                "050b3c97d7c7bb69d69e08caed1f68121fcb0199",
                "data/ru250m_2015.csv",
            ),
            size=3_827_482,
            sha256="f854a1332625f60b05cee13b32e2e5b8194a14484b24906e5f478063c1c34022",
            derive="gzip",
            optional=True,
        ),
        Dataset(
            key="need_indicators",
            relpath="population/need_indicators_by_bydel.csv",
            title="Behovsindikatorer per bydel (sosialhjelp 2023 m.fl.)",
            source="Oslo kommune (statistikkbanken, OK-STØ020)",
            licence="NLOD",
            date="2024-03-10",
            how_to_get=_MANUAL.format(relpath="population/need_indicators_by_bydel.csv"),
            optional=True,
        ),
        Dataset(
            key="osm_center",
            relpath="network/oslo-center.osm.pbf",
            title="OpenStreetMap-uttrekk, Oslo sentrum (2025)",
            source="© OpenStreetMap-bidragsytere",
            licence="ODbL 1.0",
            date="2025-06-16",
            url=_raw(
                "entur/geocoder",
                "eae4f557c5c0229c89ae8035879b6603ca5f9447",
                "converter/src/test/resources/oslo-center.osm.pbf",
            ),
            size=3_094_837,
            sha256="dbba9adb5c11e85f961fea5ef3a7d96e0245d300484cb2c62c6bc7a0ac629cbe",
            optional=True,
        ),
        Dataset(
            key="osm_east",
            relpath="network/oslo-east-filtered.osm.pbf",
            title="OpenStreetMap-uttrekk, indre øst (2019, bare veier)",
            source="© OpenStreetMap-bidragsytere",
            licence="ODbL 1.0",
            date="2019-10-07",
            url=_raw(
                "opentripplanner/OpenTripPlanner",
                "fa993ddda8c8986209039062f15f8ff7454cb766",
                "application/src/test/resources/org/opentripplanner/oslo-east-filtered.osm.pbf",
            ),
            size=983_748,
            sha256="307cd2df75d2bb54cec6cb20ac2deddf89b222ac5cff33d51790e46770b2b85b",
            optional=True,
        ),
        Dataset(
            key="walk_network",
            relpath="network/oslo-walk-overpass.osm",
            title="Gangnett for hele Oslo (OpenStreetMap, Overpass)",
            source="© OpenStreetMap-bidragsytere",
            licence="ODbL 1.0",
            date="",
            how_to_get=(
                "På en maskin med internett: `oslo-coverage fetch network` laster ned alle veier i "
                "Oslo fra Overpass API. Uten internett: legg OSM-uttrekk (.osm.pbf, .osm, .osm.gz) "
                "eller en GraphML-fil i network/ i datamappen."
            ),
            optional=True,
        ),
        Dataset(
            key="zones_forslag_a",
            relpath="boundaries/bydelsreform_2028_forslag_A.csv",
            title="Bydelsreform 2028, forslag A (høring 2025), ikke vedtatt",
            source="Oslo kommune (byrådets høringsforslag 16.10.2025)",
            licence="Offentlig dokument",
            date="2025-10-16",
            how_to_get=_MANUAL.format(relpath="boundaries/bydelsreform_2028_forslag_A.csv"),
            optional=True,
        ),
        Dataset(
            key="service_leads",
            relpath="services/service_leads.csv",
            title="Kildebelagte tips til tjenesteregisteret (13 tilbud)",
            source="Oslo kommune, Kirkens Bymisjon m.fl. (kilde per rad)",
            licence="Fakta med kilde per rad",
            date="2026-11",
            how_to_get=_MANUAL.format(relpath="services/service_leads.csv"),
            optional=True,
        ),
        Dataset(
            key="open_drug_scenes",
            relpath="context/open_drug_scenes.csv",
            title="Åpne rusmiljøer slik offentlige kilder navngir dem",
            source="Uteseksjonen, Velferdsetaten, KORUS, Oslo politidistrikt",
            licence="Fakta med kilde per rad",
            date="2023",
            how_to_get=_MANUAL.format(relpath="context/open_drug_scenes.csv"),
            optional=True,
        ),
        Dataset(
            key="services",
            relpath="services.csv",
            title="Lavterskeltilbud i Oslo (tjenesteregister)",
            source="Oslo kommune, Kirkens Bymisjon, Frelsesarmeen m.fl. (kilde per rad)",
            licence="Fakta med kilde per rad",
            date="2026-12-01",
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
    raise DatasetMissingError(missing_message(key, path))


def missing_message(key: str, expected: Path | None = None) -> str:
    """Bokmål: which dataset is missing, where it was expected, and how to get it."""
    ds = DATASETS[key]
    where = expected or dataset_path(key)
    how = ds.how_to_get or (
        f"Kjør `oslo-coverage fetch {key}` på en maskin med internett (kilde: {ds.url}), eller "
        f"legg filen {ds.relpath} i datamappen."
    )
    return f"Datasettet «{ds.title}» mangler: fant ikke {where}. {how}"


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
