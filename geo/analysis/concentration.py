r"""How concentrated the services are inside a study area, and how far the open drug scenes are.

The mandate for the city-centre work asks to spread services "sentralt i Oslo, slik at innsatsen
ikke konsentreres i enkelte sentrumsområder". For the zones :math:`z` of a study area (the
delbydeler of the centre, typically) with :math:`S_z` services of the chosen categories:

.. math::

    T = \frac{\sum_{z \in \text{top } \lceil n/3 \rceil} S_z}{\sum_z S_z}, \qquad
    H = \sum_z \left(\frac{S_z}{\sum_k S_k}\right)^2, \qquad
    H^{*} = \frac{H - 1/n}{1 - 1/n}

where the top third are the :math:`\lceil n/3 \rceil` zones with the most services: :math:`T = 1`
and :math:`H^{*} = 1` when all services sit in one zone. For each named open drug scene
(:mod:`geo.data.drug_scenes`) the distance to the nearest service is measured in straight line
from the nearest part of the scene's geometry, and along the walking network from a point on it
where the network reaches. Service-hours are not computed: the registry's opening hours are free
text, and for most services not known.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import nearest_points

from geo.analysis.balance import herfindahl
from geo.analysis.zone_metrics import ZoneIndex
from geo.data.services import located
from geo.data.study import Study, with_zone
from geo.geom import xy_of
from geo.network.build import distance_engine
from geo.network.graph import WalkNetwork

__all__ = [
    "CONCENTRATION_LABELS",
    "HOURS_NOTE",
    "Concentration",
    "concentration",
    "scene_distances",
]

CONCENTRATION_LABELS = {
    "n_zones": "Antall soner i området",
    "n_services": "Tilbud med kjent plassering i området",
    "zones_with_service": "Soner med minst ett tilbud",
    "top_third_share": "Andel av tilbudene i tredjedelen av sonene med flest",
    "herfindahl": "Herfindahl-indeks over sonene",
    "herfindahl_normalised": "Normalisert Herfindahl (0 = jevnt, 1 = alt i én sone)",
}
"""Bokmål labels of the concentration measures."""

HOURS_NOTE = (
    "Andel av åpningstimene er ikke beregnet: åpningstidene i registeret er fritekst og mangler "
    "for de fleste tilbudene."
)


@dataclass
class Concentration:
    """Concentration measures and scene distances, today and with the candidate sites.

    Attributes
    ----------
    measures
        ``metric``, ``label``, ``today``, ``with_candidates``, ``change``.
    scenes
        One row per named scene: ``area``, ``placed_from``, ``nearest_today``,
        ``straight_m_today``, ``walk_m_today`` and the same ``*_with`` with the candidates.
    notes
        Bokmål notes (how scenes are placed, service-hours, the walking network).

    """

    measures: pd.DataFrame
    scenes: pd.DataFrame
    notes: list[str]


def _measures(
    study: Study, services: gpd.GeoDataFrame, categories: Sequence[str]
) -> dict[str, float]:
    index = ZoneIndex.from_demand(study.demand, study.zones)
    counts = index.service_counts(services, categories)["n_services"].astype(float)
    n = len(counts)
    top = np.sort(counts)[::-1][: math.ceil(n / 3)]
    total = counts.sum()
    return {
        "n_zones": float(n),
        "n_services": float(total),
        "zones_with_service": float((counts > 0).sum()),
        "top_third_share": float(top.sum() / total) if total else float("nan"),
        "herfindahl": herfindahl(counts),
        "herfindahl_normalised": herfindahl(counts, normalised=True),
    }


def scene_distances(
    scenes: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, network: WalkNetwork | None
) -> pd.DataFrame:
    """Per scene: the nearest site, straight-line metres from the scene's geometry, walking metres.

    Walking distance starts from the point of the scene's geometry nearest to that site (so it
    is never less than the straight-line distance); ``nan`` where the network does not reach.
    """
    placed = ~(scenes.geometry.isna() | scenes.geometry.is_empty).to_numpy()
    out = pd.DataFrame(
        {"area": scenes["area"].to_numpy(), "nearest": "", "straight_m": np.nan, "walk_m": np.nan}
    )
    if not len(sites) or not placed.any():
        return out
    site_geoms = sites.geometry.to_numpy()
    names = sites["name"].astype(str).to_numpy() if "name" in sites else np.arange(len(sites))
    starts = []
    for k in np.flatnonzero(placed):
        geom = scenes.geometry.iloc[k]
        dist = shapely.distance(geom, site_geoms)
        j = int(np.argmin(dist))
        out.loc[k, ["nearest", "straight_m"]] = [names[j], float(dist[j])]
        point, _ = nearest_points(geom, site_geoms[j])
        starts.append((k, point.x, point.y))
    if network is not None and starts:
        xy = np.array([[x, y] for _, x, y in starts])
        engine, _ = distance_engine(xy, "network", network=network)
        walk = engine.nearest(xy_of(sites))
        for (k, _, _), metres in zip(starts, walk, strict=True):
            out.loc[k, "walk_m"] = float(metres) if np.isfinite(metres) else np.nan
    return out


def concentration(
    study: Study,
    categories: Sequence[str],
    scenes: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    network: WalkNetwork | None = None,
) -> Concentration:
    """Concentration in the study's zones and distances from the scenes, with and without candidates.

    Parameters
    ----------
    study
        The study with its zone set and study area (e.g. the centre's delbydeler).
    categories
        Service categories that count.
    scenes
        Placed scenes (:func:`geo.data.drug_scenes.place_drug_scenes`); none when ``None``.
    candidates
        Candidate sites (counted as services of the chosen categories in «with_candidates»).
    network
        The walking network for the scenes' walking distances (straight line only when ``None``).

    """
    cats = list(categories)
    services = study.services
    with_cands = services
    if candidates is not None and len(candidates):
        extra = with_zone(candidates.assign(category=cats[0]), study.zones)
        with_cands = gpd.GeoDataFrame(
            pd.concat([services, extra], ignore_index=True), crs=services.crs
        )
    today, later = _measures(study, services, cats), _measures(study, with_cands, cats)
    measures = pd.DataFrame(
        {
            "metric": list(CONCENTRATION_LABELS),
            "label": list(CONCENTRATION_LABELS.values()),
            "today": [today[m] for m in CONCENTRATION_LABELS],
            "with_candidates": [later[m] for m in CONCENTRATION_LABELS],
        }
    )
    measures["change"] = measures["with_candidates"] - measures["today"]
    notes = [HOURS_NOTE]
    scene_table = pd.DataFrame()
    if scenes is not None and len(scenes):
        before = scene_distances(scenes, located(services, cats), network)
        after = scene_distances(scenes, located(with_cands, cats), network)
        scene_table = pd.DataFrame(
            {
                "area": scenes["area"].to_numpy(),
                "placed_from": scenes["placed_from"].to_numpy(),
                "nearest_today": before["nearest"].to_numpy(),
                "straight_m_today": before["straight_m"].to_numpy(),
                "walk_m_today": before["walk_m"].to_numpy(),
                "nearest_with": after["nearest"].to_numpy(),
                "straight_m_with": after["straight_m"].to_numpy(),
                "walk_m_with": after["walk_m"].to_numpy(),
            }
        )
        notes.append(
            "Rusmiljøene er plassert på OpenStreetMap-geometrien til det navngitte stedet "
            "(© OpenStreetMap-bidragsytere); luftlinje fra nærmeste del av stedet, gangavstand "
            "langs gangnettet fra samme punkt."
        )
    return Concentration(measures, scene_table, notes)
