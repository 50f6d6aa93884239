"""The named open drug scenes, placed on the OpenStreetMap geometry of the named place.

The reference data names the scenes as official sources do (``context/open_drug_scenes.csv``:
Uteseksjonen 2023, Velferdsetaten and KORUS 2020, Oslo politidistrikt 2021) without
coordinates. Each name is placed by a fixed rule on the geometry of the named street, square,
park, station or river in the OSM extracts (:data:`PLACEMENT_RULES`), and every placed scene
says which OSM features it was made of. Nothing is placed by guesswork: a scene whose features
are not in the extracts is reported as not placed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import osmium
import pandas as pd
import pyproj
import shapely

from geo import settings
from geo.errors import InputError, Problem

__all__ = [
    "PLACEMENT_RULES",
    "PlacementRule",
    "load_drug_scenes",
    "place_drug_scenes",
]


@dataclass(frozen=True)
class PlacementRule:
    """How one named scene is placed: OSM ways with these names and this tag, and a cut.

    ``south_of`` keeps only the part of the geometry south of where it crosses the street of
    that name (the lower Akerselva: downstream of Nybrua, where Storgata crosses the river).
    ``near_m`` keeps the features of the other names only within that distance of the first
    name's (Storgata where it meets Brugata, not its whole length).
    """

    names: tuple[str, ...]
    tag: tuple[str, str | None]
    text: str
    south_of: str | None = None
    near_m: float | None = None


PLACEMENT_RULES: dict[str, PlacementRule] = {
    "Brugata/Storgata": PlacementRule(
        ("Brugata", "Storgata"),
        ("highway", None),
        "Brugata og Storgata innen 150 m fra Brugata (OSM highway)",
        near_m=150.0,
    ),
    "Vaterland/Grønland": PlacementRule(
        ("Vaterlandsparken", "Grønlands Torg"),
        ("name", None),
        "Vaterlandsparken (OSM leisure=park) og Grønlands torg (OSM highway=pedestrian)",
    ),
    "Urtegata (utenfor Fyrlyset)": PlacementRule(
        ("Urtegata",), ("highway", None), "gaten Urtegata (OSM highway)"
    ),
    "Nedre del av Akerselva": PlacementRule(
        ("Akerselva",),
        ("waterway", "river"),
        "Akerselva (OSM waterway=river) nedenfor Nybrua, der Storgata krysser elva",
        south_of="Storgata",
    ),
    "Oslo S": PlacementRule(
        ("Oslo sentralstasjon (Oslo S)",),
        ("building", "train_station"),
        "stasjonsbygningen Oslo S (OSM building=train_station)",
    ),
    "Kristparken": PlacementRule(
        ("Kristparken",), ("leisure", "park"), "Kristparken (OSM leisure=park)"
    ),
    "Mariboes gate": PlacementRule(
        ("Mariboes gate",), ("highway", None), "gaten Mariboes gate (OSM highway)"
    ),
}
"""Scene name (as in the CSV) → how it is placed on OSM geometry."""


def load_drug_scenes(path: str | Path) -> pd.DataFrame:
    """The named scenes: one row per area with its kinds, years and sources joined.

    Raises
    ------
    InputError
        When the file lacks the columns ``area, kind, named_in, year, source_url``.

    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("area", "kind", "named_in", "year", "source_url") if c not in raw]
    if missing:
        raise InputError(Problem(str(path), 1, None, f"Mangler kolonnene {', '.join(missing)}."))
    grouped = raw.groupby("area", sort=False).agg(
        kind=("kind", lambda v: "; ".join(dict.fromkeys(v))),
        named_in=("named_in", lambda v: "; ".join(dict.fromkeys(v))),
        year=("year", lambda v: ", ".join(sorted(set(v)))),
        source_url=("source_url", lambda v: " ".join(dict.fromkeys(v))),
    )
    return grouped.reset_index()


_TO_ANALYSIS = pyproj.Transformer.from_crs(
    settings.DISPLAY_CRS, settings.ANALYSIS_CRS, always_xy=True
)


class _NamedWays(osmium.SimpleHandler):  # type: ignore[misc]
    """Collects the ways (with node locations) whose ``name`` is wanted."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names
        self.found: dict[str, list[tuple[dict[str, str], list[tuple[float, float]]]]] = {}

    def way(self, way: osmium.osm.Way) -> None:
        name = way.tags.get("name")
        if name not in self.names:
            return
        try:
            coords = [(n.lon, n.lat) for n in way.nodes]
        except osmium.InvalidLocationError:  # a way cut at the edge of the extract
            coords = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
        if len(coords) >= 2:
            self.found.setdefault(name, []).append((dict(way.tags), coords))


def _geometry(
    ways: list[tuple[dict[str, str], list[tuple[float, float]]]], rule: PlacementRule
) -> shapely.Geometry | None:
    key, value = rule.tag
    parts = []
    for tags, coords in ways:
        if key != "name" and (key not in tags or (value is not None and tags[key] != value)):
            continue
        x, y = _TO_ANALYSIS.transform([c[0] for c in coords], [c[1] for c in coords])
        line = shapely.LineString(list(zip(x, y, strict=True)))
        closed = coords[0] == coords[-1] and len(coords) >= 4
        area_like = key in ("leisure", "building") or tags.get("area") == "yes"
        parts.append(shapely.Polygon(line.coords) if closed and area_like else line)
    return shapely.union_all(parts) if parts else None


def place_drug_scenes(scenes: pd.DataFrame, osm_paths: Sequence[Path]) -> gpd.GeoDataFrame:
    """Place each scene on the OSM geometry of its rule; ``placed_from`` says how.

    Returns
    -------
    geopandas.GeoDataFrame
        The scenes with ``placed_from`` (bokmål) and ``geometry`` (EPSG:25832; empty where the
        named features are not in the extracts, with ``placed_from`` saying so).

    """
    names = {n for rule in PLACEMENT_RULES.values() for n in rule.names}
    names |= {rule.south_of for rule in PLACEMENT_RULES.values() if rule.south_of}
    handler = _NamedWays(names)
    for path in osm_paths:
        handler.apply_file(str(path), locations=True)
    geoms: list[shapely.Geometry | None] = []
    texts: list[str] = []
    for area in scenes["area"]:
        rule = PLACEMENT_RULES.get(area)
        if rule is None:
            geoms.append(None)
            texts.append("ikke plassert: ingen plasseringsregel for navnet")
            continue
        geom = _geometry([w for n in rule.names for w in handler.found.get(n, [])], rule)
        if geom is not None and rule.near_m:
            anchor = _geometry(handler.found.get(rule.names[0], []), rule)
            if anchor is not None:
                geom = geom.intersection(anchor.buffer(rule.near_m))
        if geom is not None and rule.south_of:
            street = _geometry(
                handler.found.get(rule.south_of, []), PlacementRule((), ("highway", None), "")
            )
            crossing = geom.intersection(street) if street is not None else None
            if crossing is not None and not crossing.is_empty:
                cut_y = max(p.y for p in shapely.get_parts(crossing.centroid))
                minx, miny, maxx, _ = geom.bounds
                geom = geom.intersection(shapely.box(minx - 1, miny - 1, maxx + 1, cut_y))
        if geom is None or geom.is_empty:
            geoms.append(None)
            texts.append(f"ikke plassert: {rule.text} finnes ikke i OSM-uttrekkene")
        else:
            geoms.append(geom)
            texts.append(f"plassert på {rule.text}, © OpenStreetMap-bidragsytere")
    out = gpd.GeoDataFrame(
        scenes.assign(placed_from=texts), geometry=geoms, crs=settings.ANALYSIS_CRS
    )
    return out
