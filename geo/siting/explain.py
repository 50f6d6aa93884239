"""Why suggested sites were chosen and what they change (gains per bydel, balance before/after)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo.analysis.balance import balance_summary
from geo.data.groups import load_bydel_groups
from geo.labels import format_count
from geo.names import BYDEL_CODES
from geo.siting.model import CoverageModel, SitingResult

__all__ = [
    "SuggestionExplanation",
    "explain_suggestion",
]


@dataclass
class SuggestionExplanation:
    """Why the suggested sites were chosen and what they change.

    Attributes
    ----------
    sites
        One row per suggested site, in the order chosen: ``candidate_id``, ``x``, ``y``,
        ``zone_code``, ``zone``, ``new_weight`` (newly within reach, counted in the order chosen
        so the rows add up to the total), ``alone_weight`` (if this site were the only new one),
        ``gaining_zones`` (text), ``nearest_existing``, ``nearest_existing_m`` (straight line).
    by_zone
        :attr:`SitingResult.by_group`.
    balance
        ``metric``, ``label``, ``before``, ``after``, ``change``, ``help``.
    lines
        A short bokmål summary for the app and the CLI.

    """

    sites: pd.DataFrame
    by_zone: pd.DataFrame
    balance: pd.DataFrame
    lines: list[str]


def _balance_table(
    model: CoverageModel, by_group: pd.DataFrame, share_col: str, services: pd.Series
) -> pd.DataFrame:
    table = by_group[["zone_code", "weight"]].rename(columns={"weight": "population"}).copy()
    table["share"] = by_group[share_col].fillna(0.0).to_numpy()
    table["n_services"] = table["zone_code"].map(services).fillna(0).to_numpy()
    return table


def explain_suggestion(
    model: CoverageModel,
    result: SitingResult,
    groups: pd.Series | Mapping[str, str] | None = None,
    weight_label: str = "innbyggere",
) -> SuggestionExplanation:
    """Explain a suggestion: gains per site and bydel, balance before/after, distance to brukerrom.

    Parameters
    ----------
    model
        The model the result came from (existing services in ``model.existing_*``).
    result
        Output of any solver.
    groups
        Bydel code → group for the Theil split; ``data/bydel_groups.csv`` when ``None``.
    weight_label
        What the weights count (``innbyggere`` or ``brukere``) for the text.

    """
    idx = result.chosen_index
    names = {**BYDEL_CODES, **model.group_names}
    by_column = sp.csc_array(model.coverage)
    open_rows = ~model.already_covered
    sites = []
    reached = np.zeros(model.n_demand, dtype=bool)
    for j in idx:
        column = np.zeros(model.n_demand, dtype=bool)
        column[by_column.indices[by_column.indptr[j] : by_column.indptr[j + 1]]] = True
        alone = column & open_rows
        new = alone & ~reached
        reached |= column
        gain_by = (
            pd.Series(model.weights[new])
            .groupby(model.groups[new])
            .sum()
            .sort_values(ascending=False)
        )
        xy = model.candidate_xy[j] if model.candidate_xy is not None else np.array([np.nan, np.nan])
        nearest_name, nearest_m = "", float("nan")
        if len(model.existing_xy) and np.isfinite(xy).all():
            dist = np.hypot(*(model.existing_xy - xy).T)
            k = int(np.argmin(dist))
            nearest_name, nearest_m = model.existing_names[k], float(dist[k])
        code = model.candidate_groups[j] if model.candidate_groups is not None else None
        sites.append(
            {
                "candidate_id": model.candidate_ids[j],
                "x": float(xy[0]),
                "y": float(xy[1]),
                "zone_code": code,
                "zone": names.get(code, code) if code is not None else None,
                "new_weight": float(model.weights[new].sum()),
                "alone_weight": float(model.weights[alone].sum()),
                "gaining_zones": ", ".join(
                    f"{names.get(str(c), str(c))}: {format_count(v)}"
                    for c, v in gain_by.items()
                    if v > 0
                ),
                "nearest_existing": nearest_name,
                "nearest_existing_m": nearest_m,
            }
        )
    site_frame = pd.DataFrame(sites)
    grouping = load_bydel_groups() if groups is None else pd.Series(groups)
    before_services = pd.Series(model.existing_groups, dtype=object).value_counts()
    added = [model.candidate_groups[j] for j in idx] if model.candidate_groups is not None else []
    after_services = pd.Series(list(model.existing_groups) + added, dtype=object).value_counts()
    has_services = bool(len(model.existing_groups)) or bool(added)
    service_col = "n_services" if has_services else None
    summaries = []
    for share_col, services in (("share_before", before_services), ("share_after", after_services)):
        table = _balance_table(model, result.by_group, share_col, services)
        summaries.append(balance_summary(table, "share", "population", grouping, service_col))
    before, after = summaries
    balance_frame = before[["metric", "label"]].copy()
    balance_frame["before"] = before["value"].to_numpy()
    balance_frame["after"] = after["value"].to_numpy()
    balance_frame["change"] = balance_frame["after"] - balance_frame["before"]
    balance_frame["help"] = before["help"].to_numpy()
    sites_word = "nytt sted gir" if len(idx) == 1 else "nye steder gir"
    lines = [
        f"{len(idx)} {sites_word} {format_count(result.newly_covered)} flere {weight_label} innen "
        f"{model.threshold_m:.0f} m (fra {result.share_before:.1%} til {result.share_after:.1%} "
        "av hele byen)."
    ]
    for row in sites:
        where = f" i {row['zone']}" if row["zone"] else ""
        dist = (
            f"; {format_count(row['nearest_existing_m'])} m i luftlinje fra {row['nearest_existing']}"
            if np.isfinite(row["nearest_existing_m"])
            else ""
        )
        lines.append(
            f"• {row['candidate_id']}{where}: +{format_count(row['new_weight'])} {weight_label}"
            + (f" ({row['gaining_zones']})" if row["gaining_zones"] else "")
            + dist
        )
    gini = balance_frame.set_index("metric").loc["gini"]
    lines.append(
        f"Gini for dekningsandel per bydel: {gini['before']:.3f} → {gini['after']:.3f}; "
        f"laveste bydelsandel {result.by_group['share_before'].min():.1%} → "
        f"{result.min_share_after:.1%}."
    )
    return SuggestionExplanation(site_frame, result.by_group, balance_frame, lines)
