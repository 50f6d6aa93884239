r"""Accessibility index: the two-step floating catchment area method (2SFCA).

Coverage ("is there a service within 500 m?") ignores crowding: one service shared by 20 000
residents counts as much as one shared by 2 000. 2SFCA (Luo & Wang 2003, with the distance decay
of Dai 2010) first divides each service's capacity among everyone who can reach it, then gives
each demand point the sum of the shares it can reach:

.. math::

    R_j = \frac{S_j}{\sum_{i:\, d_{ij} \le d_0} P_i \, W(d_{ij})}, \qquad
    A_i = \sum_{j:\, d_{ij} \le d_0} R_j \, W(d_{ij})

with :math:`S_j` the capacity of service *j* (1 per service unless given), :math:`P_i` the weight
of demand point *i* (residents, or user data), :math:`d_0` the catchment threshold and the decay

.. math::

    W(d) = 1 \;\text{(none)}, \qquad
    W(d) = 1 - \frac{d}{d_0} \;\text{(linear)}, \qquad
    W(d) = \frac{e^{-\frac{1}{2}(d/d_0)^2} - e^{-\frac{1}{2}}}{1 - e^{-\frac{1}{2}}}
    \;\text{(gaussian)}.

The index conserves supply: :math:`\sum_i P_i A_i = \sum_j S_j` over services that reach anyone.
Per bydel the index is the weighted mean :math:`\bar A_b = \sum_{i \in b} P_i A_i / \sum_{i \in b}
P_i`, reported per 10 000 residents (``access_per_10k``) so it reads like ``services_per_10k``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo import settings
from geo.distance import DistanceEngine
from geo.names import BYDEL_CODES, CITY_CODE, CITY_NAME

__all__ = [
    "DECAYS",
    "access_by_zone",
    "accessibility",
    "decay_weight",
    "two_step_fca",
]


DECAYS = (None, "linear", "gaussian")


_TOLERANCE_M = 1e-6  # engines store "distance + 1e-9" so that zero distances stay stored


def decay_weight(
    distance_m: np.ndarray, threshold_m: float, decay: str | None = None
) -> np.ndarray:
    """Distance-decay weight :math:`W(d)` (module docstring); 0 beyond the threshold.

    Parameters
    ----------
    distance_m
        Distances in metres.
    threshold_m
        Catchment threshold :math:`d_0`.
    decay
        ``None`` (no decay), ``"linear"`` or ``"gaussian"``.

    """
    if decay not in DECAYS:
        raise ValueError(f"Ukjent avstandsvekting «{decay}» (bruk linear, gaussian eller ingen).")
    if not threshold_m > 0:
        raise ValueError("Terskelen må være større enn 0 m.")
    d = np.asarray(distance_m, dtype=float)
    inside = d <= threshold_m + _TOLERANCE_M
    ratio = np.clip(d / threshold_m, 0.0, 1.0)
    if decay is None:
        w = np.ones_like(d)
    elif decay == "linear":
        w = 1.0 - ratio
    else:
        edge = np.exp(-0.5)
        w = (np.exp(-0.5 * ratio**2) - edge) / (1.0 - edge)
    return np.where(inside, w, 0.0)


def _weight_matrix(cost: Any, threshold_m: float, decay: str | None) -> sp.csr_array:
    """Sparse :math:`W(d_{ij})` for the pairs within the threshold."""
    if sp.issparse(cost):
        coo = sp.coo_array(cost)
        rows, cols, d = coo.row, coo.col, np.asarray(coo.data, dtype=float)
        shape = coo.shape
    else:
        dense = np.asarray(cost, dtype=float)
        if dense.ndim != 2:
            raise ValueError("Kostnadsmatrisen må være todimensjonal (etterspørsel × tilbud).")
        finite = np.isfinite(dense)
        rows, cols = np.nonzero(finite)
        d = dense[finite]
        shape = dense.shape
    keep = d <= threshold_m + _TOLERANCE_M
    if np.any(d[keep] < -_TOLERANCE_M):
        raise ValueError("Kostnadsmatrisen har negative avstander.")
    w = decay_weight(np.maximum(d[keep], 0.0), threshold_m, decay)
    return sp.csr_array((w, (rows[keep], cols[keep])), shape=shape)


def two_step_fca(
    demand_weights: np.ndarray,
    supply_capacity: np.ndarray | None,
    cost: Any,
    threshold_m: float = settings.DEFAULT_THRESHOLD_M,
    decay: str | None = None,
) -> np.ndarray:
    r"""Two-step floating catchment accessibility :math:`A_i` per demand point.

    .. math::

        R_j = \frac{S_j}{\sum_{i:\, d_{ij} \le d_0} P_i W(d_{ij})}, \qquad
        A_i = \sum_{j:\, d_{ij} \le d_0} R_j W(d_{ij})

    Parameters
    ----------
    demand_weights
        :math:`P_i`, shape (n,).
    supply_capacity
        :math:`S_j`, shape (m,); ``None`` means 1 per service.
    cost
        Distances :math:`d_{ij}` in metres, shape (n, m): a dense array (``inf``/``nan`` =
        unreachable) or a sparse matrix whose *stored* entries are the reachable pairs (as from
        :meth:`geo.distance.DistanceEngine.within`; a stored 0 is distance 0).
    threshold_m
        Catchment threshold :math:`d_0`.
    decay
        ``None``, ``"linear"`` or ``"gaussian"``.

    Returns
    -------
    numpy.ndarray
        :math:`A_i`, supply per unit of demand weight reachable from each point (0 where none).

    """
    P = np.asarray(demand_weights, dtype=float)
    W = _weight_matrix(cost, threshold_m, decay)
    n, m = W.shape
    if len(P) != n:
        raise ValueError(f"demand_weights har {len(P)} verdier, kostnadsmatrisen {n} rader.")
    S = np.ones(m) if supply_capacity is None else np.asarray(supply_capacity, dtype=float)
    if len(S) != m:
        raise ValueError(f"supply_capacity har {len(S)} verdier, kostnadsmatrisen {m} kolonner.")
    if np.any(P < 0) or np.any(S < 0):
        raise ValueError("Vekter og kapasiteter kan ikke være negative.")
    reached = W.T @ P  # step 1 denominator per service
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reached > 0, S / reached, 0.0)
    return np.asarray(W @ ratio, dtype=float)


def accessibility(
    engine: DistanceEngine,
    demand_weights: np.ndarray,
    site_xy: np.ndarray,
    threshold_m: float = settings.DEFAULT_THRESHOLD_M,
    supply_capacity: np.ndarray | None = None,
    decay: str | None = None,
) -> np.ndarray:
    """2SFCA with distances from any distance engine (network or straight line).

    One ``engine.within(site_xy, threshold_m)`` call gives the sparse cost matrix; see
    :func:`two_step_fca` for the formula and the other parameters.
    """
    cost = engine.within(np.asarray(site_xy, dtype=float).reshape(-1, 2), threshold_m)
    return two_step_fca(demand_weights, supply_capacity, cost, threshold_m, decay)


def access_by_zone(
    index: np.ndarray,
    demand_weights: np.ndarray,
    zone_codes: np.ndarray | pd.Series,
    scale: float = 1e4,
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    r"""Weighted mean accessibility per zone and for the whole city (or study area).

    .. math::

        \bar A_z = \frac{\sum_{i \in z} P_i A_i}{\sum_{i \in z} P_i}

    Parameters
    ----------
    index
        :math:`A_i` from :func:`two_step_fca`.
    demand_weights
        :math:`P_i`.
    zone_codes
        Zone code per demand point.
    scale
        Multiplier for readability (default per 10 000 residents).
    names
        Zone code → name (bydel names when ``None``).

    Returns
    -------
    pandas.DataFrame
        ``zone_code``, ``zone``, ``population``, ``access_per_10k``, ``access_ratio_to_city``
        (1 = the city's mean), one row per zone in code order, then the total row (``0301``).

    """
    A = np.asarray(index, dtype=float)
    P = np.asarray(demand_weights, dtype=float)
    codes = np.asarray(zone_codes).astype(str)
    frame = pd.DataFrame({"zone_code": codes, "pa": P * A, "p": P})
    grouped = frame.groupby("zone_code", sort=True)[["pa", "p"]].sum()
    known = {**BYDEL_CODES, **(names or {})}
    grouped.loc[CITY_CODE] = [frame["pa"].sum(), frame["p"].sum()]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(grouped["p"] > 0, grouped["pa"] / grouped["p"], np.nan)
    out = pd.DataFrame(
        {
            "zone_code": grouped.index,
            "zone": [CITY_NAME if c == CITY_CODE else known.get(c, c) for c in grouped.index],
            "population": grouped["p"].to_numpy(),
            "access_per_10k": mean * scale,
        }
    ).reset_index(drop=True)
    city = out.loc[out["zone_code"] == CITY_CODE, "access_per_10k"].iloc[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["access_ratio_to_city"] = out["access_per_10k"] / city if city else np.nan
    return out
