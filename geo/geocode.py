"""Address search with Kartverket's open address API (needs internet).

The API (``https://ws.geonorge.no/adresser/v1/sok``) is public and free. Offline, every call raises
:class:`GeocodeUnavailableError` with a message a planner can act on (type coordinates or click the map
instead); it never hangs longer than ``timeout_s``.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from geo import settings
from geo.data.datasets import GEOCODER_URL
from geo.errors import GeocodeUnavailableError

__all__ = [
    "OSLO_KOMMUNENUMMER",
    "AddressHit",
    "parse_response",
    "search_address",
]


OSLO_KOMMUNENUMMER = "0301"


@dataclass(frozen=True)
class AddressHit:
    """One address found: text, postcode, and its point in EPSG:25832."""

    address: str
    postcode: str
    x: float
    y: float
    lon: float
    lat: float


def parse_response(payload: dict[str, Any]) -> list[AddressHit]:
    """Turn an ``adresser/v1/sok`` JSON answer into hits; addresses without a point are skipped.

    The API gives ``representasjonspunkt`` in EPSG:4258 (ETRS89 lon/lat, equal to WGS84 at map
    scale); points are converted to EPSG:25832.
    """
    rows = []
    for item in payload.get("adresser") or []:
        point = item.get("representasjonspunkt") or {}
        if "lat" not in point or "lon" not in point:
            continue
        rows.append(
            (
                str(item.get("adressetekst", "")),
                str(item.get("postnummer", "")),
                float(point["lon"]),
                float(point["lat"]),
            )
        )
    if not rows:
        return []
    lons = [r[2] for r in rows]
    lats = [r[3] for r in rows]
    projected = gpd.GeoSeries.from_xy(lons, lats, crs="EPSG:4258").to_crs(settings.ANALYSIS_CRS)
    return [
        AddressHit(r[0], r[1], float(p.x), float(p.y), r[2], r[3])
        for r, p in zip(rows, projected, strict=True)
    ]


def search_address(text: str, limit: int = 5, timeout_s: float = 4.0) -> list[AddressHit]:
    """Search addresses in Oslo kommune.

    Parameters
    ----------
    text
        Free text such as "Storgata 36".
    limit
        Maximum hits.
    timeout_s
        Network timeout.

    Raises
    ------
    GeocodeUnavailableError
        When the service cannot be reached (offline) or answers with an error.
    """
    query = urllib.parse.urlencode(
        {
            "sok": text.strip(),
            "kommunenummer": OSLO_KOMMUNENUMMER,
            "treffPerSide": int(limit),
            "utkoordsys": 4258,
        }
    )
    url = f"{GEOCODER_URL}?{query}"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            payload = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise GeocodeUnavailableError(
            "Adressesøk er ikke tilgjengelig (ingen forbindelse til Kartverkets adresse-API). "
            "Skriv inn koordinater eller klikk i kartet i stedet."
        ) from exc
    return parse_response(payload)
