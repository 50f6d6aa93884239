"""Planners' own files: tables, vector files and archives, read safely into frames with per-row problems.

The public API of the subpackage; each name is defined in the module named beside it.
"""

from __future__ import annotations

from geo.inputs.archive import (
    MAX_ZIP_MEMBERS,
    MAX_ZIP_RATIO,
    MIN_RATIO_BYTES,
    UNPACKED_FACTOR,
    check_zip,
    flat_zip,
    max_unpacked_bytes,
    open_zip,
)
from geo.inputs.coordinates import (
    KEPT_UNLOCATED,
    find_column,
    flag_outside_oslo,
    parse_number,
    points_from_columns,
)
from geo.inputs.problems import (
    CoordSystem,
    LoadResult,
    problems_frame,
    row_number,
    unreadable_error,
)
from geo.inputs.read import (
    file_bytes,
    numeric_columns,
    read_any,
    read_bytes,
)
from geo.inputs.tables import (
    DEFAULT_MAX_ROWS,
    MAX_COLUMNS,
    MAX_HEADER_CHARS,
    MAX_ROWS_ENV,
    TABLE_SUFFIXES,
    decode_text,
    max_rows,
    read_csv_bytes,
    read_xlsx_bytes,
    sniff_delimiter,
)
from geo.inputs.vectors import (
    VECTOR_SUFFIXES,
    finish_vector,
    read_vector_bytes,
    vector_to_points,
)

__all__ = [
    "DEFAULT_MAX_ROWS",
    "KEPT_UNLOCATED",
    "MAX_COLUMNS",
    "MAX_HEADER_CHARS",
    "MAX_ROWS_ENV",
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_RATIO",
    "MIN_RATIO_BYTES",
    "TABLE_SUFFIXES",
    "UNPACKED_FACTOR",
    "VECTOR_SUFFIXES",
    "CoordSystem",
    "LoadResult",
    "check_zip",
    "decode_text",
    "file_bytes",
    "find_column",
    "finish_vector",
    "flag_outside_oslo",
    "flat_zip",
    "max_rows",
    "max_unpacked_bytes",
    "numeric_columns",
    "open_zip",
    "parse_number",
    "points_from_columns",
    "problems_frame",
    "read_any",
    "read_bytes",
    "read_csv_bytes",
    "read_vector_bytes",
    "read_xlsx_bytes",
    "row_number",
    "sniff_delimiter",
    "unreadable_error",
    "vector_to_points",
]
