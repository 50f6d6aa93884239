"""Exports for case documents: tables, print maps, the PDF report and offline HTML.

The public API of the subpackage; each name is defined in the module named beside it.
"""

from __future__ import annotations

from geo.export.figures import (
    MAP_FORMATS,
    MAP_KINDS,
    build_map,
    export_map,
)
from geo.export.files import (
    MIME_TYPES,
    export_html,
    file_name,
    html_bytes,
    html_map,
    map_bytes,
    report_bytes,
    table_bytes,
)
from geo.export.report import (
    export_report,
    report_pages,
)
from geo.export.tables import (
    BYDEL_TABLE_COLUMNS,
    CANDIDATE_METRICS,
    TABLE_FORMATS,
    UNPLACED_COLUMNS,
    about_rows,
    candidate_comparison,
    comparison_table,
    export_table,
    unplaced_services,
    write_csv,
    write_xlsx,
)

__all__ = [
    "BYDEL_TABLE_COLUMNS",
    "CANDIDATE_METRICS",
    "MAP_FORMATS",
    "MAP_KINDS",
    "MIME_TYPES",
    "TABLE_FORMATS",
    "UNPLACED_COLUMNS",
    "about_rows",
    "build_map",
    "candidate_comparison",
    "comparison_table",
    "export_html",
    "export_map",
    "export_report",
    "export_table",
    "file_name",
    "html_bytes",
    "html_map",
    "map_bytes",
    "report_bytes",
    "report_pages",
    "table_bytes",
    "unplaced_services",
    "write_csv",
    "write_xlsx",
]
