"""Zone sets: Oslo's 97 delbydeler grouped into zones.

A *zone set* is a mapping from delbydel to zone (``delbydel_code, zone_code, zone_name``),
dissolved into polygons from the delbydel layer. Population and services then aggregate to zones
exactly as to bydeler. Built in are

* ``"bydel"`` – today's 15 bydeler + Sentrum (zone = the first two digits of the delbydel code);
* ``"delbydel"`` – the 97 delbydeler themselves;
* ``"forslag-a"`` – the city government's hearing proposal of 2025, alternative A (six bydeler),
  from ``boundaries/bydelsreform_2028_forslag_A.csv``. It is not adopted and is labelled so
  everywhere. It gives Sentrum (delbydel 1601) no new bydel: Sentrum becomes the zone
  «Ikke tildelt (Sentrum)», shown beside the six, never dropped.

A planner's own mapping (alternative B, C, the adopted one) is read with
:func:`read_zone_mapping` from CSV or XLSX. Every zone set covers every delbydel of the layer
exactly once; delbydeler that belong to no zone are collected in one zone with the code
:data:`UNASSIGNED_CODE`, so that no resident or service silently vanishes from a total.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.errors import Problem
from geo.names import BYDEL_CODES, CITY_CODE, CITY_NAME

__all__ = [
    "LAYER_SOURCE",
    "MAPPING_COLUMNS",
    "POLYGON_COLUMNS",
    "SLIVER_M2",
    "UNASSIGNED_CODE",
    "ZoneMeta",
    "ZoneSet",
    "aggregate",
    "check_layer",
    "compare_to_bydeler",
    "describe_zones",
    "make_zone_set",
    "names_or_count",
    "normalise_delbydel_codes",
    "restrict_zone_set",
    "with_city_row",
]


UNASSIGNED_CODE = "ikke-tildelt"
"""Zone code of the delbydeler that belong to no zone (for forslag A: Sentrum)."""

SLIVER_M2 = 1.0
"""Holes and parts smaller than this (m²) left by the union of delbydeler are floating-point
slivers between neighbours, not real enclaves, and are removed."""

MAPPING_COLUMNS = ("delbydel_code", "delbydel", "zone_code", "zone_name", "basis", "basis_kind")
POLYGON_COLUMNS = ("zone_code", "zone_name", "n_delbydeler", "area_km2", "geometry")
LAYER_SOURCE = "Delbydelsgrenser: Oslo kommune (PBE), oslokommune/bydelsfakta."
"""Source line of every zone set dissolved from the delbydel layer."""


@dataclass(frozen=True, eq=False)
class ZoneSet:
    """One division of Oslo into zones built from delbydeler.

    Attributes
    ----------
    key
        Short identifier (``"bydel"``, ``"delbydel"``, ``"forslag-a"``, a planner's own key).
    label
        Name shown everywhere, in bokmål.
    status
        Legal status, e.g. ``"vedtatt 2004/2013"`` or ``"Forslag A (høring 2025), ikke vedtatt"``.
    mapping
        One row per delbydel of the layer (all of them, sorted by code): ``delbydel_code``,
        ``delbydel`` (name), ``zone_code``, ``zone_name``, ``basis`` (why the delbydel is in
        its zone: source text or file row) and ``basis_kind`` (``"oppgitt"``, ``"avledet"`` or
        ``"ikke oppgitt"``).
    polygons
        ``zone_code, zone_name, n_delbydeler, area_km2, geometry`` in EPSG:25832, one row per
        zone sorted by code (numeric codes numerically), the unassigned zone last when there is
        one. ``attrs`` hold ``zone_set``, ``label``, ``status`` and ``provenance``.
    source
        Where the mapping and the polygons come from.
    unassigned_code
        Zone code of the delbydeler without a zone.
    noun
        Plural noun for the zones in :meth:`provenance` (``"bydeler"``, ``"soner"``).
    problems
        Warnings found while building (``severity="advarsel"``); errors raise instead.

    """

    key: str
    label: str
    status: str
    mapping: pd.DataFrame
    polygons: gpd.GeoDataFrame
    source: str
    unassigned_code: str = UNASSIGNED_CODE
    noun: str = "soner"
    problems: list[Problem] = field(default_factory=list)

    @property
    def n_zones(self) -> int:
        """Number of zones, not counting the unassigned one."""
        return int((self.polygons["zone_code"] != self.unassigned_code).sum())

    @property
    def unassigned(self) -> pd.DataFrame:
        """Mapping rows of the delbydeler that belong to no zone (often none)."""
        return self.mapping[self.mapping["zone_code"] == self.unassigned_code]

    def zone_of(self, delbydel_codes: Iterable[object]) -> np.ndarray:
        """Return the zone code of each delbydel code (vectorised).

        Parameters
        ----------
        delbydel_codes
            Delbydel codes as strings (``"0102"``) or numbers (``102``); surrounding spaces and a
            trailing ``.0`` are ignored.

        Returns
        -------
        numpy.ndarray
            Object array of zone codes, same length and order. Unknown or missing codes get
            :attr:`unassigned_code`, so that a sum over zones still equals the sum over rows.

        """
        if isinstance(delbydel_codes, pd.Series | pd.Index | np.ndarray):
            values = np.asarray(delbydel_codes, dtype=object)
        else:
            values = np.asarray(list(delbydel_codes), dtype=object)
        lookup = pd.Index(self.mapping["delbydel_code"].to_numpy(dtype=object))
        positions = lookup.get_indexer(values)
        misses = np.flatnonzero(positions < 0)
        if len(misses):  # written otherwise («102», 102.0, « 0102 »): normalise only those
            fixed = normalise_delbydel_codes(pd.Series(values[misses], dtype=object))
            positions[misses] = lookup.get_indexer(fixed.fillna("").to_numpy(dtype=object))
        zones = self.mapping["zone_code"].to_numpy(dtype=object)
        out = np.full(len(positions), self.unassigned_code, dtype=object)
        known = positions >= 0
        out[known] = zones[positions[known]]
        return out

    def provenance(self) -> str:
        """One bokmål line naming the zone set, for every table, map and export made with it.

        Example: ``"Soneinndeling: Forslag A (høring 2025), ikke vedtatt – 6 bydeler + ikke
        tildelt (Sentrum)"``.
        """
        if self.status and self.status not in self.label and self.label not in self.status:
            title = f"{self.label}, {self.status}"
        else:
            title = self.label if len(self.label) >= len(self.status) else self.status
        text = f"Soneinndeling: {title} – {self.n_zones} {self.noun}"
        names = self.unassigned["delbydel"].tolist()
        if names:
            text += f" + ikke tildelt ({names_or_count(names)})"
        return text


# --------------------------------------------------------------------------------------------
# Built-in zone sets
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# A planner's own mapping
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Validation shared by uploads and forslag A
# --------------------------------------------------------------------------------------------


def normalise_delbydel_codes(values: pd.Series) -> pd.Series:
    """Delbydel codes as written by people → 4-digit strings (``None`` where not a code)."""
    text = values.astype(object).where(values.notna(), "").astype(str)
    text = text.str.strip().str.replace(r"[.,]0+$", "", regex=True)
    short = text.str.fullmatch(r"\d{1,4}")
    long = text.str.fullmatch(r"0301\d{4}")
    out = pd.Series(None, index=values.index, dtype=object)
    out[short] = text[short].str.zfill(4)
    out[long] = text[long].str[4:]
    return out


def names_or_count(names: Sequence[str], limit: int = 3) -> str:
    """The names joined when there are at most ``limit``, else «N delbydeler»."""
    return ", ".join(names) if len(names) <= limit else f"{len(names)} delbydeler"


# --------------------------------------------------------------------------------------------
# Dissolve
# --------------------------------------------------------------------------------------------


class ZoneMeta(NamedTuple):
    """What names a zone set: key, label, status, source and the plural noun of its zones."""

    key: str
    label: str
    status: str
    source: str
    noun: str


def check_layer(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The delbydel layer in the analysis CRS, sorted by code, with unique 4-digit codes."""
    missing = [c for c in ("delbydel_code", "delbydel") if c not in layer.columns]
    if missing:
        raise ValueError(f"Delbydelslaget mangler kolonnene {', '.join(missing)}.")
    if layer.crs is None:
        raise ValueError("Delbydelslaget har ikke noe koordinatsystem.")
    out = layer.to_crs(settings.ANALYSIS_CRS) if layer.crs != settings.ANALYSIS_CRS else layer
    out = out.assign(delbydel_code=out["delbydel_code"].astype(str).str.zfill(4))
    if out["delbydel_code"].duplicated().any():
        dup = sorted(set(out.loc[out["delbydel_code"].duplicated(), "delbydel_code"]))
        raise ValueError(f"Delbydelslaget har samme kode flere ganger: {', '.join(dup)}.")
    return out.sort_values("delbydel_code").reset_index(drop=True)


def _zone_sort_key(code: str) -> tuple[int, int, str]:
    if code == UNASSIGNED_CODE:
        return (2, 0, code)
    if code.isdigit():
        return (0, int(code), code)
    return (1, 0, code)


def _clean_union(geoms: np.ndarray) -> shapely.Geometry:
    """Union delbydel polygons; drop slivers (holes and parts < :data:`SLIVER_M2`)."""
    merged = shapely.union_all(geoms)
    if not shapely.is_valid(merged):
        merged = shapely.make_valid(merged)
    polygons = []
    # make_valid may return a collection holding multipolygons and lines: flatten twice.
    for poly in shapely.get_parts(shapely.get_parts(merged)):
        if not isinstance(poly, shapely.Polygon) or poly.area < SLIVER_M2:
            continue
        holes = [r for r in poly.interiors if shapely.Polygon(r).area >= SLIVER_M2]
        polygons.append(shapely.Polygon(poly.exterior, holes))
    if not polygons:
        return shapely.Polygon()
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _dissolve(mapping: pd.DataFrame, layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = layer.set_index("delbydel_code").geometry.reindex(mapping["delbydel_code"])
    codes = mapping["zone_code"].to_numpy(dtype=object)
    values = geoms.to_numpy()
    names = dict(zip(mapping["zone_code"], mapping["zone_name"], strict=False))
    order = sorted(set(codes), key=_zone_sort_key)
    merged = [_clean_union(values[codes == code]) for code in order]
    out = gpd.GeoDataFrame(
        {
            "zone_code": order,
            "zone_name": [names[c] for c in order],
            "n_delbydeler": [int((codes == c).sum()) for c in order],
        },
        geometry=merged,
        crs=settings.ANALYSIS_CRS,
    )
    out["area_km2"] = out.geometry.area / 1e6
    return out[list(POLYGON_COLUMNS)]


def make_zone_set(
    meta: ZoneMeta, mapping: pd.DataFrame, layer: gpd.GeoDataFrame, problems: list[Problem]
) -> ZoneSet:
    """Dissolve the mapping into zone polygons and build the :class:`ZoneSet`."""
    mapping = mapping.copy()
    unassigned = mapping["zone_code"] == UNASSIGNED_CODE
    if unassigned.any():
        names = mapping.loc[unassigned, "delbydel"].tolist()
        mapping.loc[unassigned, "zone_name"] = f"Ikke tildelt ({names_or_count(names)})"
    mapping = mapping[list(MAPPING_COLUMNS)].reset_index(drop=True)
    polygons = _dissolve(mapping, layer)
    zone_set = ZoneSet(
        key=meta.key,
        label=meta.label,
        status=meta.status,
        mapping=mapping,
        polygons=polygons,
        source=meta.source,
        noun=meta.noun,
        problems=list(problems),
    )
    polygons.attrs.update(
        zone_set=meta.key, label=meta.label, status=meta.status, provenance=zone_set.provenance()
    )
    return zone_set


def restrict_zone_set(
    zone_set: ZoneSet, layer: gpd.GeoDataFrame, delbydel_codes: Sequence[str]
) -> ZoneSet:
    """The zone set cut down to some delbydeler (a study area): zones dissolved from those only.

    A zone that lies partly in the area keeps its code and name, with the area's part of its
    polygon; zones outside the area disappear.
    """
    codes = set(delbydel_codes)
    mapping = zone_set.mapping[zone_set.mapping["delbydel_code"].isin(codes)]
    sub = check_layer(layer)
    sub = sub[sub["delbydel_code"].isin(codes)]
    meta = ZoneMeta(zone_set.key, zone_set.label, zone_set.status, zone_set.source, zone_set.noun)
    return make_zone_set(meta, mapping, sub, zone_set.problems)


# --------------------------------------------------------------------------------------------
# Aggregation and comparison
# --------------------------------------------------------------------------------------------


def aggregate(
    zone_set: ZoneSet, frame: pd.DataFrame, delbydel_col: str, value_cols: Sequence[str]
) -> pd.DataFrame:
    """Sum numeric columns per zone, via the delbydel each row belongs to.

    Parameters
    ----------
    zone_set
        The zone set.
    frame
        Rows with a delbydel code (one row per delbydel, or one per service/point).
    delbydel_col
        Column of ``frame`` with the delbydel code (``"0102"`` or ``102``).
    value_cols
        Numeric columns to sum (counts, residents). Do not pass shares or rates.

    Returns
    -------
    pandas.DataFrame
        ``zone_code, zone_name`` and the summed columns, one row per zone in the order of
        ``zone_set.polygons`` (zones without rows get 0; missing values count as 0). Rows with an
        unknown or missing delbydel go to the unassigned zone, which is then listed even if the
        zone set has none, so the column totals always equal those of ``frame``.
        ``attrs["provenance"]`` names the zone set.

    Raises
    ------
    ValueError
        When a column is missing or not numeric.

    """
    cols = list(value_cols)
    absent = [c for c in [delbydel_col, *cols] if c not in frame.columns]
    if absent:
        raise ValueError(f"Mangler kolonnene {', '.join(absent)}.")
    values = frame[cols].copy()
    for column in cols:
        if not pd.api.types.is_numeric_dtype(values[column]):
            try:
                values[column] = pd.to_numeric(values[column])
            except (ValueError, TypeError):
                raise ValueError(f"Kolonnen «{column}» er ikke numerisk.") from None
    zones = zone_set.zone_of(frame[delbydel_col])
    summed = values.groupby(zones).sum()
    order = zone_set.polygons["zone_code"].tolist()
    names = dict(zip(order, zone_set.polygons["zone_name"], strict=True))
    if zone_set.unassigned_code in summed.index and zone_set.unassigned_code not in names:
        order.append(zone_set.unassigned_code)
        names[zone_set.unassigned_code] = "Ikke tildelt (ukjent delbydel)"
    out = summed.reindex(order, fill_value=0)
    out.insert(0, "zone_name", [names[c] for c in order])
    out.insert(0, "zone_code", order)
    out = out.reset_index(drop=True)
    out.attrs["provenance"] = zone_set.provenance()
    return out


def with_city_row(
    frame: pd.DataFrame,
    value_cols: Sequence[str] | None = None,
    code: str = CITY_CODE,
    name: str = CITY_NAME,
    columns: tuple[str, str] = ("zone_code", "zone_name"),
) -> pd.DataFrame:
    """Append a whole-city row (``0301`` «Hele byen») with the sum of ``value_cols``.

    Parameters
    ----------
    frame
        Per-zone table, e.g. from :func:`aggregate`.
    value_cols
        Columns to sum; all numeric columns when ``None``. Other columns stay empty in the
        city row (recompute shares and rates from the sums instead of summing them).
    code, name
        Code and name of the city row.
    columns
        The columns holding the zone code and the zone name.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with the city row last.

    """
    cols = (
        list(value_cols)
        if value_cols is not None
        else [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    )
    row: dict[str, object] = {c: frame[c].sum() for c in cols}
    row.update({columns[0]: code, columns[1]: name})
    city = pd.DataFrame([row], columns=[c for c in frame.columns if c in row])
    out = pd.concat([pd.DataFrame(frame), city], ignore_index=True)
    out.attrs = dict(frame.attrs)
    return out


def describe_zones(zone_set: ZoneSet) -> pd.DataFrame:
    """Say which of today's bydeler each zone is made of (for zones named only «Bydel 3»).

    Returns
    -------
    pandas.DataFrame
        ``zone_code, zone_name, n_delbydeler, bydeler_2013``, the last a bokmål text such as
        ``"Sagene (5 av 5), Grünerløkka (7 av 9), Gamle Oslo (7 av 9)"``.

    """
    mapping = zone_set.mapping.assign(bydel_code="0301" + zone_set.mapping["delbydel_code"].str[:2])
    totals = mapping["bydel_code"].value_counts()
    texts = []
    for code in zone_set.polygons["zone_code"]:
        part = mapping.loc[mapping["zone_code"] == code, "bydel_code"].value_counts()
        part = part.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
        texts.append(
            ", ".join(
                f"{BYDEL_CODES.get(str(b), str(b))} ({n} av {totals[b]})" for b, n in part.items()
            )
        )
    out = pd.DataFrame(zone_set.polygons[["zone_code", "zone_name", "n_delbydeler"]])
    out["bydeler_2013"] = texts
    return out.reset_index(drop=True)


def compare_to_bydeler(zone_set: ZoneSet, bydeler: gpd.GeoDataFrame) -> pd.DataFrame:
    """Compare zones with official bydel polygons of the same code (``bydel_code``).

    Returns
    -------
    pandas.DataFrame
        ``zone_code, zone_name, area_km2, official_area_km2, area_diff_pct, symdiff_m2,
        symdiff_pct`` (percentages of the official area), for the zones that have an official
        polygon.

    """
    official = bydeler.to_crs(settings.ANALYSIS_CRS).set_index("bydel_code").geometry
    zones = zone_set.polygons[zone_set.polygons["zone_code"].isin(official.index)]
    other = official.reindex(zones["zone_code"]).to_numpy()
    mine = zones.geometry.to_numpy()
    official_area = shapely.area(other)
    out = pd.DataFrame(
        {
            "zone_code": zones["zone_code"].to_numpy(),
            "zone_name": zones["zone_name"].to_numpy(),
            "area_km2": shapely.area(mine) / 1e6,
            "official_area_km2": official_area / 1e6,
        }
    )
    out["area_diff_pct"] = (shapely.area(mine) - official_area) / official_area * 100
    out["symdiff_m2"] = shapely.area(shapely.symmetric_difference(mine, other))
    out["symdiff_pct"] = out["symdiff_m2"] / official_area * 100
    return out
