"""Project-wide settings: coordinate systems, defaults and where reference data lives.

The data directory is resolved at run time, first match wins:

1. the environment variable ``OSLO_COVERAGE_DATA`` (or an explicit argument);
2. ``data/`` in the project (only if it holds reference data, i.e. a ``boundaries/`` folder);
3. ``../shared/data`` beside the project checkout.

The project's own curated files (``services.csv``, ``bydel_groups.csv``, …) always live in the
project's ``data/`` folder, see :func:`project_data_dir`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ANALYSIS_CRS",
    "CRS_LABEL",
    "DATA_ENV",
    "DEFAULT_CELL_M",
    "DEFAULT_DISTANCE",
    "DEFAULT_MAX_UPLOAD_MB",
    "DEFAULT_THRESHOLD_M",
    "DEFAULT_WALK_SPEED_KMH",
    "DISPLAY_CRS",
    "MAX_UPLOAD_ENV",
    "OSLO_BBOX_4326",
    "OSLO_BBOX_25832",
    "PROJECT_ROOT",
    "SCENARIOS_ENV",
    "cache_dir",
    "data_dir",
    "max_upload_bytes",
    "max_upload_mb",
    "minutes_to_metres",
    "project_data_dir",
    "scenario_store_path",
    "walk_metres_per_minute",
    "walk_minutes",
]


ANALYSIS_CRS = "EPSG:25832"
"""ETRS89 / UTM zone 32N, Oslo kommune's own projected system; all analysis is done in metres here."""


DISPLAY_CRS = "EPSG:4326"
"""WGS84 longitude/latitude, used only for web maps."""


CRS_LABEL = "EUREF89 UTM sone 32, EPSG:25832"


DEFAULT_THRESHOLD_M = 500.0
DEFAULT_DISTANCE = "straight"
"""Distance used unless another is chosen (app and CLI alike): straight line for the whole city;
the walking network reaches only the inner city (see the data notes)."""


DEFAULT_WALK_SPEED_KMH = 4.5


DEFAULT_CELL_M = 100.0
"""Side of the square cells used to spread each bydel's residents over its area."""


DATA_ENV = "OSLO_COVERAGE_DATA"


MAX_UPLOAD_ENV = "OSLO_COVERAGE_MAX_UPLOAD_MB"


DEFAULT_MAX_UPLOAD_MB = 50


SCENARIOS_ENV = "OSLO_COVERAGE_SCENARIOS"


PROJECT_ROOT = Path(__file__).resolve().parent.parent


# Oslo kommune in EPSG:25832, generous: a point outside this box is not in Oslo.
OSLO_BBOX_25832 = (580_000.0, 6_630_000.0, 615_000.0, 6_660_000.0)


# The same, in lon/lat, for detecting coordinate columns.
OSLO_BBOX_4326 = (10.45, 59.78, 10.98, 60.15)


def project_data_dir() -> Path:
    """Return the project's own ``data/`` folder (curated files with a source per row)."""
    return PROJECT_ROOT / "data"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the reference-data directory.

    Parameters
    ----------
    explicit
        A directory given by the caller (CLI ``--data-dir``); wins over everything else.

    Returns
    -------
    pathlib.Path
        The first candidate that exists. If none exists, the ``../shared/data`` path is returned
        anyway so that messages can say where data was expected.

    """
    for candidate in _data_dir_candidates(explicit):
        if candidate.is_dir():
            return candidate
    return PROJECT_ROOT.parent / "shared" / "data"


def _data_dir_candidates(explicit: str | os.PathLike[str] | None) -> list[Path]:
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    env = os.environ.get(DATA_ENV)
    if env:
        candidates.append(Path(env))
    if (project_data_dir() / "boundaries").is_dir():
        candidates.append(project_data_dir())
    candidates.append(PROJECT_ROOT.parent / "shared" / "data")
    return candidates


def cache_dir() -> Path:
    """Return a writable cache folder for downloaded data (``data/cache`` in the project)."""
    path = Path(os.environ.get("OSLO_COVERAGE_CACHE", project_data_dir() / "cache"))
    return path


def scenario_store_path() -> Path:
    """Return the scenario store's SQLite file.

    The environment variable ``OSLO_COVERAGE_SCENARIOS`` wins; otherwise
    ``data/scenarios/scenarios.sqlite`` in the project (git-ignored: planners' work, not code).
    """
    env = os.environ.get(SCENARIOS_ENV)
    if env:
        return Path(env)
    return project_data_dir() / "scenarios" / "scenarios.sqlite"


def max_upload_mb() -> float:
    """Return the upload size cap in MiB (env ``OSLO_COVERAGE_MAX_UPLOAD_MB``, default 50)."""
    try:
        return float(os.environ.get(MAX_UPLOAD_ENV, DEFAULT_MAX_UPLOAD_MB))
    except ValueError:
        return float(DEFAULT_MAX_UPLOAD_MB)


def walk_metres_per_minute(speed_kmh: float = DEFAULT_WALK_SPEED_KMH) -> float:
    """Metres walked per minute at ``speed_kmh`` (4.5 km/h → 75 m/min)."""
    if speed_kmh <= 0:
        raise ValueError("Ganghastigheten må være større enn 0 km/t.")
    return speed_kmh * 1000.0 / 60.0


def walk_minutes(metres: Any, speed_kmh: float = DEFAULT_WALK_SPEED_KMH) -> Any:
    r"""Convert metres to walking minutes.

    .. math::

        t = \frac{d}{v \cdot 1000 / 60}

    Parameters
    ----------
    metres
        Scalar or array of distances in metres (``inf`` stays ``inf``).
    speed_kmh
        Walking speed, default 4.5 km/h (75 m per minute).

    Returns
    -------
    float or numpy.ndarray
        Minutes, same shape as ``metres``.

    """
    per_minute = walk_metres_per_minute(speed_kmh)
    if np.ndim(metres):
        return np.asarray(metres, dtype=float) / per_minute
    return float(metres) / per_minute


def minutes_to_metres(minutes: Any, speed_kmh: float = DEFAULT_WALK_SPEED_KMH) -> Any:
    """Convert walking minutes to metres at ``speed_kmh`` (10 min at 4.5 km/h → 750 m)."""
    if np.ndim(minutes):
        return np.asarray(minutes, dtype=float) * walk_metres_per_minute(speed_kmh)
    return float(minutes) * walk_metres_per_minute(speed_kmh)


def max_upload_bytes() -> int:
    """Upload cap in bytes: :func:`geo.max_upload_mb` (env ``OSLO_COVERAGE_MAX_UPLOAD_MB``)."""
    mb = max_upload_mb()
    if not math.isfinite(mb) or mb <= 0:
        mb = float(DEFAULT_MAX_UPLOAD_MB)
    return int(mb * 1024 * 1024)
