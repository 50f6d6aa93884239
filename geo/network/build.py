"""Finding, reading, caching and downloading the walking network, and the distance-engine factory.

Where the network comes from (first match wins, see :func:`load_walk_network`), in each folder of
:func:`network_dirs`:

1. ``oslo_walk.npz`` — this package's own cache, used only when it was made from exactly the
   source files that are there now (names, sizes and dates: :func:`source_signature`);
2. a GraphML file (``*.graphml``, saved by ``osmnx.save_graphml``);
3. every OpenStreetMap extract in the folder (``*.osm.pbf``, ``*.osm``, ``*.osm.xml``,
   ``*.osm.gz``, ``*.osm.bz2``), read together as one network by :func:`geo.network.osm.read_osm`;
4. only when asked (CLI ``network-cache --download``, ``fetch walk_network``): downloaded from the
   Overpass API for Oslo's outline as OSM XML, then read like 3.

If no network is found, :func:`distance_engine` falls back to straight-line distance and says so
in a note that every output shows. With a network, :func:`study_engine` measures each zone along
the network where it reaches its residents and in straight line (labelled) or not at all elsewhere
(:class:`geo.network.mixed.MixedEngine`); residents are never moved.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from geo import settings
from geo.data.boundaries import load_bydeler
from geo.data.study import Study
from geo.distance import DistanceEngine, StraightLineEngine
from geo.errors import NetworkUnavailableError
from geo.labels import NOTE_ENGINE, NOTE_FALLBACK, NOTE_NETWORK, NOTE_STRAIGHT
from geo.network.engine import NetworkEngine
from geo.network.graph import DEFAULT_MAX_SEGMENT_M, DEFAULT_MAX_SNAP_M, WalkNetwork
from geo.network.mixed import MixedEngine
from geo.network.osm import read_osm

__all__ = [
    "CACHE_NAME",
    "DOWNLOAD_NAME",
    "NETWORK_SUBDIR",
    "OSM_SUFFIXES",
    "OVERPASS_URL",
    "distance_engine",
    "download_walk_network",
    "format_speed",
    "load_walk_network",
    "network_dirs",
    "network_sources",
    "oslo_polygon",
    "read_network",
    "source_signature",
    "study_engine",
]

logger = logging.getLogger(__name__)

CACHE_NAME = "oslo_walk.npz"
NETWORK_SUBDIR = "network"
OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.xml", ".osm.gz", ".osm.bz2")
"""OpenStreetMap extracts the reader takes (it tells the format from the content)."""
DOWNLOAD_NAME = "oslo-walk-overpass.osm"
"""Where a downloaded extract of Oslo is written (then read like any other extract)."""
OVERPASS_URL = "https://overpass-api.de/api/interpreter"
"""The public Overpass API a machine with internet downloads the streets of Oslo from."""


def network_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """Folders searched for a walking network, in order.

    With an explicit ``data_dir`` only ``<data_dir>/network``; otherwise
    ``settings.data_dir()/network``, the project's ``data/network`` and
    ``settings.cache_dir()/network`` (where ``oslo-coverage fetch walk_network`` writes).
    """
    if data_dir is not None:
        return [Path(data_dir) / NETWORK_SUBDIR]
    dirs = [
        settings.data_dir() / NETWORK_SUBDIR,
        settings.project_data_dir() / NETWORK_SUBDIR,
        settings.cache_dir() / NETWORK_SUBDIR,
    ]
    return list(dict.fromkeys(dirs))


def _cache_target(data_dir: str | Path | None) -> Path:
    # Reference data (../shared/data) is read-only for us: the cache goes to the project's data/.
    if data_dir is not None:
        return Path(data_dir) / NETWORK_SUBDIR / CACHE_NAME
    return settings.project_data_dir() / NETWORK_SUBDIR / CACHE_NAME


def network_sources(folder: Path) -> list[Path]:
    """The network files of a folder: a GraphML file, else every OSM extract (read as one)."""
    if not folder.is_dir():
        return []
    graphml = sorted(folder.glob("*.graphml"))
    if graphml:
        return graphml[:1]
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(OSM_SUFFIXES))


def source_signature(paths: list[Path]) -> str:
    """A fingerprint of the source files (names, sizes, modification times) a cache was made from."""
    text = "|".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in paths)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_network(paths: list[Path], max_segment_m: float = DEFAULT_MAX_SEGMENT_M) -> WalkNetwork:
    """Read the network from a GraphML file or from OpenStreetMap extracts (several as one).

    Raises
    ------
    geo.network.osm_report.OsmReadError
        (a ``ValueError``) when an extract cannot be read; the message names the file.

    """
    if len(paths) == 1 and paths[0].suffix == ".graphml":
        return WalkNetwork.from_graphml(paths[0], max_segment_m)
    return WalkNetwork.from_streets(read_osm(paths), max_segment_m)


def load_walk_network(
    data_dir: str | Path | None = None,
    *,
    allow_download: bool = False,
    max_segment_m: float = DEFAULT_MAX_SEGMENT_M,
    write_cache: bool = True,
) -> WalkNetwork | None:
    """Load Oslo's walking network from the cache, a GraphML file or the OSM extracts.

    Parameters
    ----------
    data_dir
        Folder whose ``network/`` subfolder holds the files; default: searched as in
        :func:`network_dirs`.
    allow_download
        If nothing is found, download the streets of Oslo (needs internet).
    max_segment_m
        Longest straight piece of the network (see :meth:`WalkNetwork.from_streets`).
    write_cache
        Write ``oslo_walk.npz`` after reading the sources.

    Returns
    -------
    WalkNetwork or None
        ``None`` when no network is available (the caller falls back to straight lines and says
        so, see :func:`distance_engine`).

    """
    for folder in network_dirs(data_dir):
        sources = network_sources(folder)
        signature = source_signature(sources) if sources else ""
        target = folder / CACHE_NAME if data_dir is not None else _cache_target(None)
        for candidate in dict.fromkeys([folder / CACHE_NAME, target]):
            cached = _cached(candidate, signature)
            if cached is not None and (sources or candidate.parent == folder):
                return cached
        if sources:
            net = read_network(sources, max_segment_m)
            net.meta["signature"] = signature
            if write_cache:
                _try_save(net, target)
            return net
    if allow_download:
        download_walk_network(data_dir)
        return load_walk_network(data_dir, max_segment_m=max_segment_m, write_cache=write_cache)
    return None


def _cached(path: Path, signature: str) -> WalkNetwork | None:
    """The cache at ``path`` when it was made from the same sources (any, when none are given)."""
    if not path.is_file():
        return None
    try:
        net = WalkNetwork.load(path)
    except (OSError, ValueError, KeyError) as exc:
        logger.warning("Gangnett-cachen %s kunne ikke leses: %s", path, exc)
        return None
    if signature and net.meta.get("signature") != signature:
        return None
    return net


def _try_save(net: WalkNetwork, path: Path) -> None:
    try:
        net.save(path)
    except OSError as exc:  # a read-only data folder must not stop the analysis
        logger.warning("Kunne ikke skrive gangnett-cache %s: %s", path, exc)


def oslo_polygon(data_dir: str | Path | None = None) -> Any:
    """Oslo kommune's outline (union of the bydeler) in EPSG:4326, for the download."""
    bydeler = load_bydeler(data_dir=data_dir)
    outline = gpd.GeoSeries([bydeler.union_all()], crs=bydeler.crs).to_crs(settings.DISPLAY_CRS)
    return outline.iloc[0]


def _overpass_query(polygon: Any) -> str:
    """Every way with a ``highway`` tag inside ``polygon`` (EPSG:4326), with its nodes, as XML."""
    ring = polygon.convex_hull.exterior.simplify(0.001)
    poly = " ".join(f"{lat:.5f} {lon:.5f}" for lon, lat in ring.coords)
    return f'[out:xml][timeout:600];way["highway"](poly:"{poly}");(._;>;);out body;'


def download_walk_network(
    data_dir: str | Path | None = None, polygon: Any = None, timeout_s: float = 900.0
) -> Path:
    """Download the streets of Oslo from the Overpass API as one OSM extract (needs internet).

    The extract is written atomically to ``<data_dir or data/>/network/oslo-walk-overpass.osm``
    and read by the same reader as every other extract (:func:`load_walk_network`).

    Raises
    ------
    NetworkUnavailableError
        When the download fails (no internet, Overpass busy); nothing half-written is left.

    """
    folder = _cache_target(data_dir).parent
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / DOWNLOAD_NAME
    part = target.with_name(target.name + ".part")
    body = urllib.parse.urlencode({"data": _overpass_query(polygon or oslo_polygon())}).encode()
    try:
        with (
            urllib.request.urlopen(OVERPASS_URL, body, timeout=timeout_s) as response,
            part.open("wb") as out,
        ):
            while chunk := response.read(1 << 20):
                out.write(chunk)
        read_osm([part])  # refuse a broken answer before it replaces anything
    except (OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        raise NetworkUnavailableError(
            f"Kunne ikke laste ned gangnettet fra OpenStreetMap ({OVERPASS_URL}): {exc}"
        ) from exc
    part.replace(target)
    return target


def distance_engine(
    demand_xy: np.ndarray,
    distance: str = "network",
    *,
    network: WalkNetwork | None = None,
    data_dir: str | Path | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
    off_network: str = "unreachable",
) -> tuple[DistanceEngine, str]:
    """Return a distance engine and the note every output must show about it.

    With ``distance="network"`` the walking network is used when available; otherwise
    straight-line distance is used and the note says so («Gangnett ikke tilgjengelig – avstander
    er luftlinje»). The fallback is never silent.

    Parameters
    ----------
    demand_xy
        ``(n, 2)`` demand point coordinates, EPSG:25832.
    distance
        ``"network"`` or ``"straight"``.
    network
        An already loaded network; default :func:`load_walk_network` (``data_dir``).
    data_dir
        Passed to :func:`load_walk_network`.
    max_snap_m, off_network
        See :class:`NetworkEngine`.
    speed_kmh
        Walking speed stated in the note.

    Returns
    -------
    (engine, note)
        ``engine.kind`` is ``"network"`` or ``"straight"``; ``note`` is bokmål text for outputs.

    """
    speed = format_speed(speed_kmh)
    if distance not in {"network", "straight"}:
        raise ValueError(f"Ukjent avstandstype «{distance}» (bruk network eller straight).")
    if distance == "straight":
        straight = StraightLineEngine(demand_xy)
        straight.note = NOTE_STRAIGHT.format(speed=speed)
        return straight, straight.note
    reason = "fant ingen gangnett-cache, GraphML- eller OSM-fil i network-mappen"
    if network is None:
        try:
            network = load_walk_network(data_dir)
        except (OSError, ValueError) as exc:  # OsmReadError is a ValueError
            network, reason = None, f"gangnettet kunne ikke leses: {exc}"
    if network is None:
        fallback = StraightLineEngine(demand_xy)
        fallback.note = NOTE_FALLBACK.format(speed=speed, reason=reason)
        return fallback, fallback.note
    engine = NetworkEngine(network, demand_xy, max_snap_m=max_snap_m, off_network=off_network)
    engine.note = NOTE_NETWORK.format(speed=speed) + engine.note[len(NOTE_ENGINE) :]
    return engine, engine.note


def format_speed(speed_kmh: float) -> str:
    """A walking speed as written in bokmål notes (``4,5``)."""
    return f"{speed_kmh:g}".replace(".", ",")


def study_engine(
    study: Study,
    distance: str = "straight",
    speed_kmh: float = settings.DEFAULT_WALK_SPEED_KMH,
    data_dir: str | Path | None = None,
    policy: str = "fallback",
) -> tuple[Study, DistanceEngine]:
    """Return the study and a distance engine of the asked kind (``"straight"``/``"network"``).

    With a walking network each bydel is measured along it when the network reaches at least
    95 % of its residents, and otherwise in straight line, labelled (``policy="fallback"``), or
    left out with the reason (``policy="exclude"``): :class:`geo.network.mixed.MixedEngine`.
    Residents are never moved. Without a network the engine falls back to straight line, and
    its ``note`` says so.
    """
    if distance != "network":
        return study, study.straight_engine()
    engine, _ = distance_engine(study.demand_xy, "network", data_dir=data_dir, speed_kmh=speed_kmh)
    if not isinstance(engine, NetworkEngine):
        return study, engine
    weights = study.demand["weight"].to_numpy(dtype=float)
    mixed = MixedEngine(engine, weights, study.demand["zone_code"].to_numpy(), policy)
    mixed.note = f"{mixed.note} Ganghastighet {format_speed(speed_kmh)} km/t."
    return study, mixed
