"""The reference data: dataset registry, boundaries, zone sets, population, services and the study.

The public API of the subpackage; each name is defined in the module named beside it.
"""

from __future__ import annotations

from geo.data.boundaries import (
    BOUNDARY_VERSIONS,
    DEFAULT_VERSION,
    BoundaryVersion,
    assign_bydel,
    load_bydeler,
    load_delbydeler,
    register_boundary_file,
)
from geo.data.datasets import (
    DATASETS,
    GEOCODER_URL,
    TILE_ATTRIBUTION,
    Dataset,
    dataset_path,
    find_dataset,
    list_datasets,
    missing_message,
    source_line,
)
from geo.data.demand import (
    DEMAND_COLUMNS,
    DEMAND_METHODS,
    METHOD_LABELS,
    grid_demand,
    load_demand,
    uniform_demand,
)
from geo.data.download import (
    FetchOutcome,
    Opener,
    Progress,
    fetch,
    fetch_all,
    missing_datasets,
)
from geo.data.groups import (
    BYDEL_GROUPS_FILE,
    CENTRAL_GROUP,
    central_codes,
    load_bydel_groups,
)
from geo.data.need import (
    NEED_INDICATOR,
    NEED_UNIT,
    NEED_YEAR,
    SENTRUM_RULE,
    SENTRUM_SHARE_FROM,
    TABLE_RULE,
    need_weights,
    read_need_shares,
)
from geo.data.population import (
    MARKA_CODE,
    UNKNOWN_CODE,
    load_bydel_series,
    series_from_csdata,
)
from geo.data.population_grid import (
    GRID_CRS,
    GRID_FILES,
    GRID_YEAR,
    cell_centres,
    grid_bbox,
    read_grid,
)
from geo.data.services import (
    COORD_QUALITIES,
    REQUIRED_COLUMNS,
    SERVICE_COLUMNS,
    empty_registry,
    load_candidates,
    load_services,
    located,
    normalise_category,
    read_services,
    validate_services,
)
from geo.data.study import (
    Study,
    with_bydel,
)

__all__ = [
    "BOUNDARY_VERSIONS",
    "BYDEL_GROUPS_FILE",
    "CENTRAL_GROUP",
    "COORD_QUALITIES",
    "DATASETS",
    "DEFAULT_VERSION",
    "DEMAND_COLUMNS",
    "DEMAND_METHODS",
    "GEOCODER_URL",
    "GRID_CRS",
    "GRID_FILES",
    "GRID_YEAR",
    "MARKA_CODE",
    "METHOD_LABELS",
    "NEED_INDICATOR",
    "NEED_UNIT",
    "NEED_YEAR",
    "REQUIRED_COLUMNS",
    "SENTRUM_RULE",
    "SENTRUM_SHARE_FROM",
    "SERVICE_COLUMNS",
    "TABLE_RULE",
    "TILE_ATTRIBUTION",
    "UNKNOWN_CODE",
    "BoundaryVersion",
    "Dataset",
    "FetchOutcome",
    "Opener",
    "Progress",
    "Study",
    "assign_bydel",
    "cell_centres",
    "central_codes",
    "dataset_path",
    "empty_registry",
    "fetch",
    "fetch_all",
    "find_dataset",
    "grid_bbox",
    "grid_demand",
    "list_datasets",
    "load_bydel_groups",
    "load_bydel_series",
    "load_bydeler",
    "load_candidates",
    "load_delbydeler",
    "load_demand",
    "load_services",
    "located",
    "missing_datasets",
    "missing_message",
    "need_weights",
    "normalise_category",
    "read_grid",
    "read_need_shares",
    "read_services",
    "register_boundary_file",
    "series_from_csdata",
    "source_line",
    "uniform_demand",
    "validate_services",
    "with_bydel",
]
