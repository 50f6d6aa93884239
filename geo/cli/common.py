"""What every analysis command shares: options, categories, threshold, study + engine, weights, output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.metrics import spread_user_data
from geo.analysis.provenance import settings_lines
from geo.analysis.whatif import WhatIf
from geo.data.boundaries import DEFAULT_VERSION
from geo.data.demand import DEMAND_METHODS
from geo.data.services import load_candidates, normalise_category
from geo.data.study import Study
from geo.data.study_area import STUDY_AREAS, StudyArea, study_area
from geo.data.zone_mapping import read_zone_mapping
from geo.data.zone_set import ZoneSet
from geo.data.zones import ZONE_SETS, load_zone_set
from geo.errors import InputError, Problem
from geo.inputs.read import numeric_columns, read_any
from geo.labels import (
    CATEGORIES,
    FORMATS,
    NEED_BASIS,
    TERMINAL_METRICS,
    metric_kind,
    zone_words,
)
from geo.network.build import study_engine
from geo.network.mixed import POLICIES
from geo.workspace.compare import build_whatif
from geo.workspace.settings import AnalysisSettings, user_data_weights

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_ERROR",
    "EXIT_OK",
    "OUTPUT_FORMATS",
    "add_common_analysis_args",
    "add_distance_arguments",
    "add_format_argument",
    "analysis_from_args",
    "area_from_args",
    "build_study_and_engine",
    "candidates_from_args",
    "emit_table",
    "parse_categories",
    "print_problems",
    "threshold_from_args",
    "user_weights",
    "whatif_from_args",
    "write_or_print",
    "zone_set_from_args",
]


EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2

OUTPUT_FORMATS = ("table", "csv", "json")
"""What the table-printing commands write (:func:`emit_table`)."""


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--format table|csv|json`` (default ``table``)."""
    parser.add_argument("--format", choices=list(OUTPUT_FORMATS), default="table")


def add_common_analysis_args(parser: argparse.ArgumentParser) -> None:
    """Options shared by every analysis command (data, categories, threshold, distance)."""
    parser.add_argument(
        "--data-dir",
        help="mappe med referansedata (ellers OSLO_COVERAGE_DATA, data/, ../shared/data)",
    )
    parser.add_argument(
        "--boundary-version",
        default=DEFAULT_VERSION,
        help=f"grensesett (standard: {DEFAULT_VERSION})",
    )
    parser.add_argument(
        "--categories",
        help=f"kommaseparerte kategorier (standard: alle): {', '.join(CATEGORIES)}",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=settings.DEFAULT_THRESHOLD_M,
        help="terskelavstand i meter (standard 500)",
    )
    parser.add_argument(
        "--minutes", type=float, help="terskel i gangminutter (overstyrer --threshold)"
    )
    add_distance_arguments(parser)
    parser.add_argument("--services", help="egen tjenestefil i stedet for data/services.csv")
    parser.add_argument("--candidates", help="fil med kandidatsteder som legges til")
    parser.add_argument(
        "--weights",
        help="brukerdata (aggregert per bydel eller punkter) som vekt i stedet for innbyggere",
    )
    parser.add_argument("--weight-column", help="kolonnen i --weights som brukes som vekt")
    parser.add_argument(
        "--weight-basis",
        choices=["innbyggere", NEED_BASIS],
        default="innbyggere",
        help="vekt uten brukerdata: innbyggere, eller innbyggere vektet med andel "
        "sosialhjelpsmottakere 2023 (et mål på behov, ikke antall i målgruppen)",
    )
    parser.add_argument(
        "--population-year",
        type=int,
        help="innbyggere per 1.1. dette året (SSB, 2015–2026; standard: nyeste)",
    )
    parser.add_argument(
        "--residents",
        choices=["auto", *DEMAND_METHODS],
        default="auto",
        help="hvor innbyggerne bor: auto (SSBs rutenett 100 m, ellers 250 m, ellers jevnt per "
        "bydel), eller én metode",
    )
    parser.add_argument(
        "--zones",
        default="bydel",
        help="soneinndeling: bydel (standard), delbydel, forslag-a (bydelsreformen 2028, forslag "
        "A, ikke vedtatt), eller en CSV/XLSX med delbydel_code,zone_code,zone_name",
    )
    parser.add_argument(
        "--study-area",
        default="by",
        choices=list(STUDY_AREAS),
        help="studieområde: by (hele byen) eller sentrum (Sentrum, Gamle Oslo, Grünerløkka, "
        "St. Hanshaugen, Sagene)",
    )
    parser.add_argument(
        "--area-bydeler",
        help="eget studieområde: kommaseparerte bydeler (navn eller kode), f.eks. "
        "«Sentrum,Gamle Oslo,Grünerløkka,St. Hanshaugen,Sagene,Frogner»",
    )
    parser.add_argument(
        "--cell",
        type=float,
        default=settings.DEFAULT_CELL_M,
        help="rutestørrelse i meter når innbyggerne fordeles jevnt (--residents uniform)",
    )


def parse_categories(text: str | None) -> list[str] | None:
    """Parse ``--categories``; raises :class:`InputError` for an unknown category."""
    if not text:
        return None

    out = []
    for part in text.split(","):
        slug = normalise_category(part.strip())
        if slug is None:
            raise InputError(
                Problem(
                    "--categories",
                    None,
                    None,
                    f"Ukjent kategori «{part.strip()}». Gyldige: {', '.join(CATEGORIES)}.",
                )
            )
        out.append(slug)
    return out


def threshold_from_args(args: argparse.Namespace) -> float:
    """Threshold in metres from ``--threshold`` or ``--minutes`` and ``--speed``."""
    if getattr(args, "minutes", None):
        return float(args.minutes) * settings.walk_metres_per_minute(args.speed)
    return float(args.threshold)


def build_study_and_engine(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Load the study (reference data + services) and the distance engine the options ask for.

    ``--distance network`` falls back to straight line when no walking network is available; the
    engine's ``note`` says so in every output.
    """
    study = Study.load(
        args.data_dir,
        args.boundary_version,
        args.services,
        population_year=args.population_year,
        demand_method=args.residents,
        cell_m=args.cell,
    )
    study = study.with_zones(zone_set_from_args(args, study), area_from_args(args))
    return study_engine(study, args.distance, args.speed, args.data_dir, args.unreached)


def zone_set_from_args(args: argparse.Namespace, study: Study) -> ZoneSet:
    """The zone set of ``--zones``: a built-in key, or a mapping file (checked row by row)."""
    choice = getattr(args, "zones", "bydel") or "bydel"
    if study.delbydeler is None:
        raise InputError(Problem("--zones", None, None, "Delbydelene mangler i datamappen."))
    if choice in ZONE_SETS:
        try:
            return load_zone_set(choice, study.delbydeler, args.data_dir)
        except FileNotFoundError as exc:
            raise InputError(Problem("--zones", None, None, str(exc))) from None
    path = Path(choice)
    if not path.is_file():
        raise InputError(
            Problem(
                "--zones",
                None,
                None,
                f"«{choice}» er verken en kjent soneinndeling ({', '.join(ZONE_SETS)}) eller en fil.",
            )
        )
    return read_zone_mapping(
        path.read_bytes(), path.name, study.delbydeler, path.stem, path.stem, "egen inndeling"
    )


def area_from_args(args: argparse.Namespace) -> StudyArea:
    """The study area of ``--study-area`` / ``--area-bydeler``."""
    own = getattr(args, "area_bydeler", None)
    parts = [p.strip() for p in own.split(",") if p.strip()] if own else []
    try:
        return study_area(getattr(args, "study_area", "by") or "by", parts)
    except ValueError as exc:
        raise InputError(Problem("--area-bydeler", None, None, str(exc))) from None


def user_weights(study, args: argparse.Namespace) -> np.ndarray | None:  # type: ignore[no-untyped-def]
    """Demand weights from ``--weights`` / ``--weight-column`` or ``--weight-basis``.

    ``None`` for residents.
    """
    if not args.weights:
        return user_data_weights(study, None, args.weight_basis)

    result = read_any(args.weights)
    print_problems(result.problems)
    columns = numeric_columns(result.frame)
    column = args.weight_column or (columns[0] if columns else None)
    if result.kind == "points" and column is None:
        column = "__count__"
    if column is None or (column != "__count__" and column not in result.frame.columns):
        raise InputError(
            Problem(
                Path(args.weights).name,
                None,
                args.weight_column,
                f"Fant ikke vektkolonnen. Tallkolonner: {', '.join(columns) or 'ingen'}.",
            )
        )
    kind = "aggregate" if result.kind == "aggregate" else "points"
    return spread_user_data(study.demand, result.frame, column, kind=kind)


def print_problems(problems: Sequence[object]) -> None:
    """Print every problem of a file on stderr (one line each)."""
    for problem in problems:
        print(str(problem), file=sys.stderr)


def emit_table(table: pd.DataFrame, fmt: str, out: str | None = None) -> None:
    """Write a metric table as an aligned text table, CSV or JSON (with its settings)."""
    if fmt == "json":
        payload = {
            "settings": {
                k: v
                for k, v in table.attrs.items()
                if isinstance(v, (str, int, float, list, dict, type(None)))
            },
            "notes": settings_lines(table),
            "rows": json.loads(
                table.to_json(orient="records", force_ascii=False, double_precision=15)
            ),
        }
        text = json.dumps(payload, ensure_ascii=False, indent=2)
    elif fmt == "csv":
        text = table.to_csv(index=False)
        for line in settings_lines(table):
            print(line, file=sys.stderr)
    else:
        metrics = {m: h for m, h in TERMINAL_METRICS.items() if m in table.columns}
        one, _ = zone_words(table.attrs.get("zone_noun"))
        shown = table[["zone", *metrics]].rename(columns={"zone": one.capitalize(), **metrics})
        formatters = {
            header: FORMATS["text"][metric_kind(metric)].format
            for metric, header in metrics.items()
            if metric != "n_services"
        }
        text = (
            "\n".join(settings_lines(table))
            + "\n\n"
            + shown.to_string(index=False, formatters=formatters)
        )
    write_or_print(text, out)


def write_or_print(text: str, out: str | None, say_written: bool = False) -> None:
    """Write ``text`` to the file ``out`` (UTF-8), or print it when no file is given."""
    if not out:
        print(text)
        return
    Path(out).write_text(text + "\n", encoding="utf-8")
    if say_written:
        print(f"Skrev {out}")


def add_distance_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--distance`` (default :data:`geo.settings.DEFAULT_DISTANCE`, as in the app) and ``--speed``."""
    parser.add_argument(
        "--distance",
        choices=["straight", "network"],
        default=settings.DEFAULT_DISTANCE,
        help="luftlinje eller gangnett (luftlinje med merknad der gangnettet ikke når fram); "
        f"standard: {settings.DEFAULT_DISTANCE}",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=settings.DEFAULT_WALK_SPEED_KMH,
        help="ganghastighet i km/t (standard 4,5)",
    )
    parser.add_argument(
        "--unreached",
        choices=list(POLICIES),
        default="fallback",
        help="soner gangnettet når for under 95 %% av innbyggerne: fallback = luftlinje, merket "
        "(standard); exclude = utelatt med grunnen",
    )


def analysis_from_args(args: argparse.Namespace) -> AnalysisSettings:
    """The analysis settings the options describe (as the app's sidebar would set them)."""
    categories = parse_categories(args.categories) or list(CATEGORIES)
    return AnalysisSettings(
        categories=tuple(categories),
        distance=args.distance,
        threshold_m=threshold_from_args(args),
        speed_kmh=args.speed,
        weight_basis=(args.weight_column or "brukerdata") if args.weights else args.weight_basis,
        boundary_version=args.boundary_version,
        population_year=args.population_year,
        unreached=args.unreached,
    )


def whatif_from_args(args: argparse.Namespace) -> tuple[Study, WhatIf]:
    """The study and its what-if engine for the options, built as the app builds them.

    The table of every command is the engine's baseline (:func:`geo.workspace.compare.build_whatif`),
    so the CLI and the app give the same numbers and the same exports for the same settings.
    """
    study, engine = build_study_and_engine(args)
    return study, build_whatif(study, engine, analysis_from_args(args), user_weights(study, args))


def candidates_from_args(args: argparse.Namespace) -> gpd.GeoDataFrame:
    """The candidate sites of ``--candidates`` (problems on stderr; none located: bad input)."""
    loaded = load_candidates(args.candidates)
    print_problems(loaded.problems)
    if not len(loaded.frame):
        raise InputError(
            Problem(args.candidates, None, None, "Ingen kandidatsteder med koordinater.")
        )
    return loaded.frame
