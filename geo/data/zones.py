"""Built-in zone sets: today's bydeler, the 97 delbydeler and the 2028 proposal A."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.data.datasets import find_dataset
from geo.data.zone_mapping import mapping_from_rows
from geo.data.zone_set import (
    LAYER_SOURCE,
    UNASSIGNED_CODE,
    ZoneMeta,
    ZoneSet,
    check_layer,
    make_zone_set,
)
from geo.errors import DatasetMissingError, InputError, Problem
from geo.inputs.read import read_bytes
from geo.names import BYDEL_CODES

__all__ = [
    "BYDELER_LABEL",
    "DELBYDELER_LABEL",
    "FORSLAG_A_LABEL",
    "ZONE_SETS",
    "BuiltinZoneSet",
    "bydeler_2013",
    "delbydeler",
    "forslag_a",
    "load_zone_set",
]


FORSLAG_A_LABEL = "Forslag A (høring 2025), ikke vedtatt"


BYDELER_LABEL = "Bydeler (inndeling 2004, grenser 2013)"


DELBYDELER_LABEL = "Delbydeler (97)"


_FORSLAG_A_COLUMNS = (
    "delbydel_code",
    "delbydel_name",
    "new_bydel_number",
    "new_bydel_name",
    "basis",
)


_FORSLAG_A_SOURCE = (
    "Byrådets høringsforslag 16.10.2025, alternativ A (seks bydeler), rekonstruert fra "
    "Dagsavisen/NTB 16.10.2025, Etterstad Vel 21.10.2025 og Alna Ap 2025 (se kolonnen «basis» per "
    "delbydel; kilder i bydelsreform_2028_forslag_A.csv). Sentrum er ikke plassert i kildene. "
    "Delbydelsgrenser: Oslo kommune (PBE), oslokommune/bydelsfakta."
)


class BuiltinZoneSet(NamedTuple):
    """A built-in zone set: its label and a builder ``(delbydel layer, data dir) -> ZoneSet``."""

    label: str
    builder: Callable[[gpd.GeoDataFrame, Path], ZoneSet]


def bydeler_2013(delbydeler: gpd.GeoDataFrame) -> ZoneSet:
    """Today's bydeler (15 + Sentrum) dissolved from the delbydeler.

    The zone of a delbydel is given by its code: ``0102`` → ``"030101"`` Gamle Oslo. A prefix
    without an official bydel would go to the unassigned zone (none in the PBE 2013 layer).

    Parameters
    ----------
    delbydeler
        Delbydel layer as from :func:`geo.boundaries.load_delbydeler`.

    Returns
    -------
    ZoneSet
        Key ``"bydel"``, 16 zones with the official 6-digit codes and names.

    """
    layer = check_layer(delbydeler)
    codes = "0301" + layer["delbydel_code"].str[:2]
    names = codes.map(BYDEL_CODES)
    known = names.notna()
    mapping = pd.DataFrame(
        {
            "delbydel_code": layer["delbydel_code"].to_numpy(),
            "delbydel": layer["delbydel"].to_numpy(),
            "zone_code": codes.where(known, UNASSIGNED_CODE).to_numpy(),
            "zone_name": names.where(known, "").to_numpy(),
            "basis": "delbydelskoden: de to første sifrene er bydelsnummeret",
            "basis_kind": "oppgitt",
        }
    )
    return make_zone_set(
        ZoneMeta("bydel", BYDELER_LABEL, "vedtatt 2004/2013", LAYER_SOURCE, "bydeler"),
        mapping,
        layer,
        [],
    )


def delbydeler(delbydeler: gpd.GeoDataFrame) -> ZoneSet:
    """The 97 delbydeler as zones of their own (zone code ``0301`` + the delbydel code).

    Parameters
    ----------
    delbydeler
        Delbydel layer as from :func:`geo.boundaries.load_delbydeler`.

    Returns
    -------
    ZoneSet
        Key ``"delbydel"``, one zone per delbydel.

    """
    layer = check_layer(delbydeler)
    mapping = pd.DataFrame(
        {
            "delbydel_code": layer["delbydel_code"].to_numpy(),
            "delbydel": layer["delbydel"].to_numpy(),
            # the full code (kommune + delbydel): «0301» alone is Iladalen *and* Oslo's total row
            "zone_code": ("0301" + layer["delbydel_code"]).to_numpy(),
            "zone_name": layer["delbydel"].to_numpy(),
            "basis": "delbydelen selv",
            "basis_kind": "oppgitt",
        }
    )
    return make_zone_set(
        ZoneMeta(
            "delbydel",
            DELBYDELER_LABEL,
            "statistisk inndeling, Oslo kommune",
            LAYER_SOURCE,
            "delbydeler",
        ),
        mapping,
        layer,
        [],
    )


def forslag_a(path: str | Path, delbydeler: gpd.GeoDataFrame) -> ZoneSet:
    """The 2025 hearing proposal, alternative A: six bydeler, Sentrum not placed.

    Parameters
    ----------
    path
        ``boundaries/bydelsreform_2028_forslag_A.csv`` in the data directory.
    delbydeler
        Delbydel layer as from :func:`geo.boundaries.load_delbydeler`.

    Returns
    -------
    ZoneSet
        Key ``"forslag-a"``, label and status :data:`FORSLAG_A_LABEL`; zones ``"1"`` … ``"6"``
        named «Bydel 1» … «Bydel 6» as in the source, plus :data:`UNASSIGNED_CODE` «Ikke tildelt
        (Sentrum)». The mapping keeps the source's ``basis`` text per delbydel.

    Raises
    ------
    FileNotFoundError
        When the file is not there.
    geo.io.InputError
        When the file does not cover the layer's delbydeler exactly once.

    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"Fant ikke {path}. Legg bydelsreform_2028_forslag_A.csv i boundaries/ i datamappen."
        )
    frame, problems = read_bytes(path.read_bytes(), path.name)
    missing = [c for c in _FORSLAG_A_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(Problem(path.name, 1, None, f"Mangler kolonnene {', '.join(missing)}."))
    zone = frame["new_bydel_number"].str.strip()
    rows = pd.DataFrame(
        {
            "delbydel": frame["delbydel_code"],
            # The source leaves the zone empty where the proposal places no delbydel (Sentrum).
            "zone": zone.where(zone != "", UNASSIGNED_CODE),
            "zone_name": frame["new_bydel_name"],
            "delbydel_name": frame["delbydel_name"],
            "basis": frame["basis"],
        },
        index=frame.index,
    )
    layer = check_layer(delbydeler)
    mapping, found = mapping_from_rows(rows, path.name, layer, False)
    return make_zone_set(
        ZoneMeta("forslag-a", FORSLAG_A_LABEL, FORSLAG_A_LABEL, _FORSLAG_A_SOURCE, "bydeler"),
        mapping,
        layer,
        problems + found,
    )


def _build_bydeler(layer: gpd.GeoDataFrame, data_dir: Path) -> ZoneSet:
    return bydeler_2013(layer)


def _build_delbydeler(layer: gpd.GeoDataFrame, data_dir: Path) -> ZoneSet:
    return delbydeler(layer)


def _build_forslag_a(layer: gpd.GeoDataFrame, data_dir: Path) -> ZoneSet:
    try:
        path = find_dataset("zones_forslag_a", data_dir)
    except DatasetMissingError as exc:
        raise FileNotFoundError(str(exc)) from None
    return forslag_a(path, layer)


ZONE_SETS: dict[str, BuiltinZoneSet] = {
    "bydel": BuiltinZoneSet(BYDELER_LABEL, _build_bydeler),
    "delbydel": BuiltinZoneSet(DELBYDELER_LABEL, _build_delbydeler),
    "forslag-a": BuiltinZoneSet(FORSLAG_A_LABEL, _build_forslag_a),
}
"""Built-in zone sets: key → (label, builder)."""


def load_zone_set(
    key: str, delbydeler: gpd.GeoDataFrame, data_dir: str | Path | None = None
) -> ZoneSet:
    """Build the built-in zone set ``key`` (see :data:`ZONE_SETS`).

    Parameters
    ----------
    key
        ``"bydel"``, ``"delbydel"`` or ``"forslag-a"``.
    delbydeler
        Delbydel layer as from :func:`geo.boundaries.load_delbydeler`.
    data_dir
        Reference-data directory; resolved with :func:`geo.settings.data_dir` when ``None``.

    Returns
    -------
    ZoneSet
        The zone set.

    Raises
    ------
    KeyError
        For an unknown key.

    """
    if key not in ZONE_SETS:
        raise KeyError(f"Ukjent soneinndeling «{key}». Kjente: {', '.join(ZONE_SETS)}.")
    return ZONE_SETS[key].builder(delbydeler, settings.data_dir(data_dir))
