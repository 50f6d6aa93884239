r"""Walking distance where the network reaches the residents, and straight line, labelled, elsewhere.

The OpenStreetMap extracts of the reference data cover the inner city only. A zone (a bydel, or a
zone of any zone set) is measured along the network when the network reaches at least
:data:`MIN_REACH` of its residents — that is, when that share of the zone's demand weight lies
within the snapping distance of a walkable street (the network's *coverage area*). Otherwise the
zone is either measured in straight line and labelled so (``policy="fallback"``, the default) or
left out with the reason (``policy="exclude"``). Nothing is re-spread and nothing is silent:
:attr:`MixedEngine.reach` states, per zone, the share the network reaches and how the zone was
measured.

.. math::

    r_z = \frac{\sum_{i \in z,\ s_i \le s_{max}} w_i}{\sum_{i \in z} w_i}, \qquad
    d_i = \begin{cases}
        d^{net}_i & \text{if } r_{z(i)} \ge 0.95 \text{ and } s_i \le s_{max} \\
        d^{line}_i & \text{otherwise (fallback)}
    \end{cases}

where :math:`s_i` is the snapping distance of demand point *i* to the network. In a network zone
the few residents beyond the snapping distance are measured in straight line too (and counted in
the note), so they are neither dropped nor called unreachable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo.distance import StraightLineEngine
from geo.labels import format_share
from geo.network.engine import NetworkEngine

__all__ = [
    "BASIS_EXCLUDED",
    "BASIS_NETWORK",
    "BASIS_STRAIGHT",
    "MIN_REACH",
    "POLICIES",
    "MixedEngine",
]

MIN_REACH = 0.95
"""A zone is measured along the network when it reaches at least this share of its residents."""

POLICIES = ("fallback", "exclude")
"""What a zone the network does not reach gets: straight line (labelled), or left out."""

BASIS_NETWORK = "gangnett"
BASIS_STRAIGHT = "luftlinje (gangnettet når bare {share} av innbyggerne)"
BASIS_EXCLUDED = "utelatt: gangnettet når bare {share} av innbyggerne"


class MixedEngine:
    """Network distances in the zones the network reaches, straight line (or nothing) elsewhere.

    Implements the distance-engine protocol (:class:`geo.distance.DistanceEngine`) over the same
    demand points as its network engine.

    Parameters
    ----------
    network_engine
        The walking-network engine over all demand points.
    weights
        Demand weight per point (residents), which decides each zone's reached share.
    groups
        Zone code per demand point (bydel codes, or the codes of another zone set).
    policy
        ``"fallback"`` (straight line for zones below :data:`MIN_REACH`, labelled) or
        ``"exclude"`` (such zones are left out: their points get no distance and their table rows
        say why).
    min_reach
        The share of residents the network must reach for a zone to be measured along it.

    Attributes
    ----------
    reach
        One row per zone: ``zone_code``, ``network_share`` (share of residents within the
        snapping distance of the network), ``distance_basis`` (bokmål: how the zone is measured).
    use_network
        Per demand point: measured along the network.
    excluded
        Per demand point: left out (``policy="exclude"`` only).

    """

    kind = "network"

    def __init__(
        self,
        network_engine: NetworkEngine,
        weights: np.ndarray,
        groups: np.ndarray,
        policy: str = "fallback",
        min_reach: float = MIN_REACH,
    ) -> None:
        if policy not in POLICIES:
            raise ValueError(
                f"Ukjent valg «{policy}» for soner utenfor gangnettet ({', '.join(POLICIES)})."
            )
        self.network_engine = network_engine
        self.network = network_engine.network
        self.max_snap_m = network_engine.max_snap_m
        self.demand_xy = network_engine.demand_xy
        self.straight = StraightLineEngine(self.demand_xy)
        self.policy = policy
        w = np.asarray(weights, dtype=float)
        codes = np.asarray(groups).astype(str)
        on = np.asarray(network_engine.demand_on_network, dtype=bool)
        frame = pd.DataFrame({"zone_code": codes, "w": w, "on": np.where(on, w, 0.0)})
        per_zone = frame.groupby("zone_code", sort=True)[["w", "on"]].sum()
        share = (per_zone["on"] / per_zone["w"]).where(per_zone["w"] > 0, 0.0)
        network_zones = set(share.index[share >= min_reach])
        in_network_zone = np.isin(codes, list(network_zones))
        self.use_network = in_network_zone & on
        self.excluded = ~in_network_zone if policy == "exclude" else np.zeros(len(codes), bool)
        template = BASIS_EXCLUDED if policy == "exclude" else BASIS_STRAIGHT
        self.reach = pd.DataFrame(
            {
                "zone_code": share.index.astype(str),
                "network_share": share.to_numpy(dtype=float),
                "distance_basis": [
                    BASIS_NETWORK
                    if code in network_zones
                    else template.format(share=format_share(s))
                    for code, s in share.items()
                ],
            }
        )
        total = float(w.sum())
        self.network_share = float(w[on].sum() / total) if total > 0 else 0.0
        self.note = self._note(len(network_zones), len(share), int((in_network_zone & ~on).sum()))

    def _note(self, n_network: int, n_zones: int, n_off: int) -> str:
        rule = f"minst {format_share(MIN_REACH)} av innbyggerne"
        rest = (
            "de øvrige er utelatt"
            if self.policy == "exclude"
            else "de øvrige er målt i luftlinje og merket så i tabellen"
        )
        text = (
            f"Gangavstand langs gangnettet (OpenStreetMap) i {n_network} av {n_zones} soner der "
            f"nettet når {rule}; {rest}. Gangnettet når {format_share(self.network_share)} av alle "
            "innbyggerne."
        )
        if n_off:
            text += (
                f" {n_off} etterspørselspunkter i nettsonene ligger over "
                f"{self.max_snap_m:g} m fra nettet og er målt i luftlinje."
            )
        return text

    # ------------------------------------------------------------------ the engine protocol
    def nearest_with_index(self, site_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Metres to the nearest site and its position (network or straight line per point)."""
        net_d, net_i = self.network_engine.nearest_with_index(site_xy)
        line_d, line_i = self.straight.nearest_with_index(site_xy)
        return self.combine(net_d, net_i, line_d, line_i)

    def nearest(self, site_xy: np.ndarray) -> np.ndarray:
        """Metres from each demand point to its nearest site (``inf`` if none, or left out)."""
        return self.nearest_with_index(site_xy)[0]

    def within(self, site_xy: np.ndarray, threshold_m: float) -> sp.csr_array:
        """Sparse demand × site distances up to ``threshold_m`` (each row from its own measure)."""
        net = sp.csr_array(self.network_engine.within(site_xy, threshold_m))
        line = sp.csr_array(self.straight.within(site_xy, threshold_m))
        use_line = ~self.use_network & ~self.excluded
        return sp.csr_array(
            sp.diags_array(self.use_network.astype(float)) @ net
            + sp.diags_array(use_line.astype(float)) @ line
        )

    def combine(
        self, net_d: np.ndarray, net_i: np.ndarray, line_d: np.ndarray, line_i: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per point the network answer or the straight-line one; ``inf``/-1 where left out."""
        dist = np.where(self.use_network, net_d, line_d)
        index = np.where(self.use_network, net_i, line_i).astype(np.int64)
        dist[self.excluded] = np.inf
        index[self.excluded] = -1
        return dist, index
