"""Metrics on a study: coverage per zone, provenance, 2SFCA access, balance, privacy, what-if.

The public API of the subpackage; each name is defined in the module named beside it.
"""

from __future__ import annotations

from geo.analysis.access import (
    DECAYS,
    access_by_zone,
    accessibility,
    decay_weight,
    two_step_fca,
)
from geo.analysis.balance import (
    ACCESS_MEASURES,
    ConcentrationShare,
    TheilDecomposition,
    balance_summary,
    concentration_share,
    current_balance,
    group_of,
    herfindahl,
    location_quotient,
    lorenz_curve,
    theil_decomposition,
    weighted_gini,
    weighted_theil,
)
from geo.analysis.concentration import (
    CONCENTRATION_LABELS,
    HOURS_NOTE,
    Concentration,
    concentration,
    scene_distances,
)
from geo.analysis.metrics import (
    compare_tables,
    coverage_table,
    measured_demand,
    spread_user_data,
    with_distance_basis,
)
from geo.analysis.privacy import (
    HIDDEN,
    SMALL,
    SUPPRESSION_NOTE,
    USER_COUNT_COLUMNS,
    USER_DERIVED_COLUMNS,
    is_small,
    protect_coverage_table,
    suppress_small_counts,
)
from geo.analysis.provenance import (
    settings_lines,
    study_provenance,
)
from geo.analysis.scenario_result import ScenarioResult, column_difference
from geo.analysis.whatif import (
    CandidateCoverage,
    CandidateRanking,
    WhatIf,
    candidate_coverage,
)
from geo.analysis.zone_compare import (
    COMPARED_METRICS,
    SHORT_NAMES,
    ZoneComparison,
    compare_zone_sets,
)
from geo.analysis.zone_metrics import (
    ZoneIndex,
    grouped_quantiles,
    weighted_quantile,
    zone_metrics,
)

__all__ = [
    "ACCESS_MEASURES",
    "COMPARED_METRICS",
    "CONCENTRATION_LABELS",
    "DECAYS",
    "HIDDEN",
    "HOURS_NOTE",
    "SHORT_NAMES",
    "SMALL",
    "SUPPRESSION_NOTE",
    "USER_COUNT_COLUMNS",
    "USER_DERIVED_COLUMNS",
    "CandidateCoverage",
    "CandidateRanking",
    "Concentration",
    "ConcentrationShare",
    "ScenarioResult",
    "TheilDecomposition",
    "WhatIf",
    "ZoneComparison",
    "ZoneIndex",
    "access_by_zone",
    "accessibility",
    "balance_summary",
    "candidate_coverage",
    "column_difference",
    "compare_tables",
    "compare_zone_sets",
    "concentration",
    "concentration_share",
    "coverage_table",
    "current_balance",
    "decay_weight",
    "group_of",
    "grouped_quantiles",
    "herfindahl",
    "is_small",
    "location_quotient",
    "lorenz_curve",
    "measured_demand",
    "protect_coverage_table",
    "scene_distances",
    "settings_lines",
    "spread_user_data",
    "study_provenance",
    "suppress_small_counts",
    "theil_decomposition",
    "two_step_fca",
    "weighted_gini",
    "weighted_quantile",
    "weighted_theil",
    "with_distance_basis",
    "zone_metrics",
]
