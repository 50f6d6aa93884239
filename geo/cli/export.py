"""``oslo-coverage export map|table|report|html``: the same files as the app's export tab."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    add_common_analysis_args,
    analysis_from_args,
    candidates_from_args,
    whatif_from_args,
)
from geo.cli.zones import comparison_from_args
from geo.data.study import Study
from geo.export.figures import MAP_FORMATS, MAP_KINDS, build_map, export_map
from geo.export.files import export_html, html_map
from geo.export.report import export_report
from geo.export.tables import TABLE_FORMATS, export_table
from geo.geom import xy_of
from geo.maps.classes import CLASSIFIERS
from geo.maps.layout import PAPER_MM, PrintOptions

__all__ = [
    "add_commands",
]


def add_commands(commands: Any) -> None:
    """Add ``oslo-coverage export map|table|report|html``."""
    export = commands.add_parser("export", help="kart, tabeller, rapport og HTML til saksframlegg")
    sub = export.add_subparsers(dest="export_command", required=True)

    p = sub.add_parser("map", help="statisk kart (PNG 300 dpi, PDF, SVG) på A4/A3")
    add_common_analysis_args(p)
    p.add_argument(
        "--kind", choices=MAP_KINDS, default="overview", help="oversikt, temakart eller kandidater"
    )
    p.add_argument("--metric", default="share_within_threshold", help="nøkkeltall i temakartet")
    p.add_argument("--classification", choices=list(CLASSIFIERS), default="naturalbreaks")
    p.add_argument("--classes", type=int, default=5, help="antall klasser i temakartet")
    p.add_argument("--paper", choices=list(PAPER_MM), default="A4")
    p.add_argument("--orientation", choices=["portrait", "landscape"], help="stående/liggende")
    p.add_argument("--format", choices=MAP_FORMATS, help="standard: filendelsen")
    p.add_argument("--dpi", type=float, default=300)
    p.add_argument(
        "--background",
        choices=["plain", "tiles"],
        default="plain",
        help="bakgrunnskart (tiles krever nett)",
    )
    p.add_argument("--title")
    p.add_argument("--subtitle")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cli_map)

    p = sub.add_parser("table", help="bydelstabell / kandidatsammenligning som XLSX eller CSV")
    add_common_analysis_args(p)
    p.add_argument("--format", choices=TABLE_FORMATS, help="standard: filendelsen")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cli_table)

    p = sub.add_parser("report", help="PDF-rapport til saksframlegg")
    add_common_analysis_args(p)
    p.add_argument("--metric", default="share_within_threshold")
    p.add_argument(
        "--compare-with",
        help="legg til en side med målene under --zones og denne soneinndelingen (f.eks. "
        "forslag-a)",
    )
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cli_report)

    p = sub.add_parser("html", help="interaktivt kart som én HTML-fil som virker uten nett")
    add_common_analysis_args(p)
    p.add_argument(
        "--metric", default="share_within_threshold", help="nøkkeltall bydelene farges etter"
    )
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cli_html)


def _tables_from_args(
    args: argparse.Namespace,
) -> tuple[Study, pd.DataFrame, pd.DataFrame | None, gpd.GeoDataFrame | None]:
    """Today's table and, with ``--candidates``, the table with them: the app's tables."""
    study, whatif = whatif_from_args(args)
    if not args.candidates:
        return study, whatif.baseline, None, None
    candidates = candidates_from_args(args)
    scenario = whatif.add(xy_of(candidates), analysis_from_args(args).candidate_category).table
    return study, whatif.baseline, scenario, candidates


def _written(write: Callable[[], Path]) -> int:
    """Run a writer; say where the file went, or why it could not be written (exit 2)."""
    try:
        path = write()
    except OSError as exc:
        print(
            f"Kunne ikke skrive filen {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    print(f"Skrev {path}")
    return EXIT_OK


def _cli_map(args: argparse.Namespace) -> int:
    study, table, scenario, candidates = _tables_from_args(args)
    options = PrintOptions(
        paper=args.paper,
        orientation=args.orientation,
        method=args.classification,
        k=args.classes,
        background=args.background,
        title=args.title,
        subtitle=args.subtitle,
    )
    categories = table.attrs.get("categories") if args.categories else None
    fig = build_map(args.kind, study, table, scenario, candidates, args.metric, categories, options)
    return _written(lambda: export_map(args.out, fig, args.format, args.dpi))


def _cli_table(args: argparse.Namespace) -> int:
    study, table, scenario, candidates = _tables_from_args(args)
    return _written(
        lambda: export_table(args.out, table, scenario, args.format, candidates, study.services)
    )


def _cli_report(args: argparse.Namespace) -> int:
    study, table, scenario, candidates = _tables_from_args(args)
    zones = comparison_from_args(args, args.compare_with) if args.compare_with else None
    return _written(
        lambda: export_report(args.out, study, table, scenario, candidates, args.metric, zones)
    )


def _cli_html(args: argparse.Namespace) -> int:
    study, table, _, candidates = _tables_from_args(args)
    categories = table.attrs.get("categories") if args.categories else None
    return _written(
        lambda: export_html(html_map(study, table, args.metric, candidates, categories), args.out)
    )
