"""Command-line interface: ``oslo-coverage <command>``.

Every analysis the app shows is a subcommand here. Exit codes: 0 success, 2 bad input (message
on stderr, never a traceback), 1 unexpected error.

Topic modules add their own subcommands through ``add_cli(subparsers)``; they are listed in
:data:`EXTENSIONS`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path

import numpy as np
import pandas as pd

from geo import settings
from geo.datasets import DatasetMissingError, fetch, list_datasets
from geo.io import InputError, read_any
from geo.services import CATEGORIES

EXTENSIONS = [
    "geo.network",
    "geo.whatif",
    "geo.access",
    "geo.siting",
    "geo.export",
    "geo.scenarios",
]
"""Modules whose ``add_cli(subparsers)`` adds subcommands (skipped when a module is absent)."""

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2


def add_common_analysis_args(parser: argparse.ArgumentParser) -> None:
    """Options shared by every analysis command (data, categories, threshold, distance)."""
    parser.add_argument(
        "--data-dir",
        help="mappe med referansedata (ellers OSLO_COVERAGE_DATA, data/, ../shared/data)",
    )
    parser.add_argument(
        "--boundary-version", default="pbe2013", help="grensesett (standard: pbe2013)"
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
    parser.add_argument(
        "--distance",
        choices=["straight", "network"],
        default="straight",
        help="luftlinje eller gangnett",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=settings.DEFAULT_WALK_SPEED_KMH,
        help="ganghastighet i km/t (standard 4,5)",
    )
    parser.add_argument("--services", help="egen tjenestefil i stedet for data/services.csv")
    parser.add_argument("--candidates", help="fil med kandidatsteder som legges til")
    parser.add_argument(
        "--weights",
        help="brukerdata (aggregert per bydel eller punkter) som vekt i stedet for innbyggere",
    )
    parser.add_argument("--weight-column", help="kolonnen i --weights som brukes som vekt")
    parser.add_argument(
        "--cell",
        type=float,
        default=settings.DEFAULT_CELL_M,
        help="rutestørrelse i meter for å fordele innbyggere",
    )


def parse_categories(text: str | None) -> list[str] | None:
    """Parse ``--categories``; raises :class:`InputError` for an unknown category."""
    if not text:
        return None
    from geo.io import Problem
    from geo.services import normalise_category

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
    from geo.metrics import Study

    study = Study.load(args.data_dir, args.boundary_version, args.services, cell_m=args.cell)
    return study.with_engine(args.distance, args.speed, args.data_dir)


def user_weights(study, args: argparse.Namespace) -> np.ndarray | None:  # type: ignore[no-untyped-def]
    """Demand weights from ``--weights`` / ``--weight-column``, or ``None`` for residents."""
    if not args.weights:
        return None
    from geo.io import Problem, numeric_columns
    from geo.metrics import spread_user_data

    result = read_any(args.weights)
    _print_problems(result.problems)
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


def _print_problems(problems: Sequence[object]) -> None:
    for problem in problems:
        print(str(problem), file=sys.stderr)


def _cmd_datasets(args: argparse.Namespace) -> int:
    frame = list_datasets(args.data_dir)
    print(f"Datamappe: {settings.data_dir(args.data_dir)}")
    if args.format == "json":
        print(frame.to_json(orient="records", force_ascii=False, indent=2))
    else:
        for rec in frame.astype(str).to_dict("records"):
            print(
                f"\n{rec['key']}: {rec['title']}\n  funnet: {rec['found_at']}\n"
                f"  kilde: {rec['source']} · lisens: {rec['licence']} · dato: {rec['date'] or '–'}"
            )
            if rec["url"]:
                print(f"  offentlig kilde: {rec['url']}")
    missing = frame[(frame["found_at"] == "mangler") & ~frame["optional"]]
    for key in missing["key"]:
        print(f"Mangler: {key}", file=sys.stderr)
    return EXIT_OK if missing.empty or args.allow_missing else EXIT_BAD_INPUT


def _cmd_fetch(args: argparse.Namespace) -> int:
    path = fetch(args.dataset)
    print(f"Lagret {args.dataset} i {path}")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from geo.services import read_services

    if args.as_ == "services" or args.as_ == "candidates":
        result = read_services(args.file, require_coordinates=args.as_ == "candidates")
    else:
        result = read_any(args.file)
    frame = result.problems_frame()
    print(
        f"{Path(args.file).name}: {result.n_input_rows} rader lest, {len(result.frame)} gode rader ({result.kind}, koordinater: {result.coord_system})."
    )
    if len(frame):
        print(frame.to_string(index=False), file=sys.stderr)
    return EXIT_BAD_INPUT if result.errors else EXIT_OK


def _cmd_bydel_report(args: argparse.Namespace) -> int:
    from geo.metrics import coverage_table
    from geo.services import load_candidates

    categories = parse_categories(args.categories)
    threshold = threshold_from_args(args)
    study, engine = build_study_and_engine(args)
    _print_problems(study.problems)
    candidates = None
    if args.candidates:
        loaded = load_candidates(args.candidates)
        _print_problems(loaded.problems)
        candidates = loaded.frame
    table = coverage_table(
        study,
        categories,
        threshold,
        engine,
        extra_sites=candidates,
        weights=user_weights(study, args),
        walk_speed_kmh=args.speed,
    )
    emit_table(table, args.format, args.out)
    return EXIT_OK


def settings_lines(table: pd.DataFrame) -> list[str]:
    """Human-readable lines stating how a metric table was made (for every output)."""
    attrs = table.attrs
    cats = attrs.get("categories") or list(CATEGORIES)
    lines = [
        f"Avstand: {attrs.get('distance_note', '')}",
        f"Terskel: {attrs.get('threshold_m', 0):.0f} m · ganghastighet {attrs.get('walk_speed_kmh', settings.DEFAULT_WALK_SPEED_KMH)} km/t",
        f"Kategorier: {', '.join(CATEGORIES.get(c, c) for c in cats)}",
        f"Vekt: {attrs.get('weight_basis', 'innbyggere')} · befolkning per 1.1.{attrs.get('population_year', '')} · grenser: {attrs.get('boundary_version', '')}",
        attrs.get("population_note", ""),
    ]
    unallocated = attrs.get("unallocated") or {}
    if unallocated:
        lines.append(
            "Ikke fordelt (ingen polygon): "
            + ", ".join(f"{k}: {v}" for k, v in unallocated.items())
        )
    return [line for line in lines if line]


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
            "rows": json.loads(table.to_json(orient="records", force_ascii=False)),
        }
        text = json.dumps(payload, ensure_ascii=False, indent=2)
    elif fmt == "csv":
        text = table.to_csv(index=False)
        for line in settings_lines(table):
            print(line, file=sys.stderr)
    else:
        shown = table[
            [
                "bydel",
                "population",
                "n_services",
                "services_per_10k",
                "share_within_threshold",
                "median_distance_m",
                "p90_distance_m",
                "location_quotient",
            ]
        ].copy()
        shown.columns = [
            "Bydel",
            "Innb.",
            "Tilbud",
            "Per 10k",
            "Andel innen",
            "Median m",
            "P90 m",
            "LQ",
        ]
        text = (
            "\n".join(settings_lines(table))
            + "\n\n"
            + shown.to_string(
                index=False,
                formatters={
                    "Innb.": "{:,.0f}".format,
                    "Per 10k": "{:.2f}".format,
                    "Andel innen": "{:.1%}".format,
                    "Median m": "{:,.0f}".format,
                    "P90 m": "{:,.0f}".format,
                    "LQ": "{:.2f}".format,
                },
            )
        )
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, including extension subcommands."""
    parser = argparse.ArgumentParser(
        prog="oslo-coverage", description="Dekning av lavterskeltilbud i Oslos bydeler."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "datasets", help="list referansedata: hvor de er funnet, kilde, lisens, dato"
    )
    p.add_argument("--data-dir")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--allow-missing", action="store_true", help="exit 0 selv om noe mangler")
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser("fetch", help="last ned et datasett fra offentlig kilde (krever internett)")
    p.add_argument("dataset")
    p.set_defaults(func=_cmd_fetch)

    p = sub.add_parser("validate", help="sjekk en fil og list problemer per rad")
    p.add_argument("file")
    p.add_argument("--as", dest="as_", choices=["auto", "services", "candidates"], default="auto")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("bydel-report", help="dekningstabell per bydel")
    add_common_analysis_args(p)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--out", help="skriv til fil i stedet for skjerm")
    p.set_defaults(func=_cmd_bydel_report)

    for module_name in EXTENSIONS:
        try:
            module = import_module(module_name)
        except ImportError:
            continue
        add_cli = getattr(module, "add_cli", None)
        if add_cli is not None:
            add_cli(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except DatasetMissingError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ValueError, KeyError) as exc:
        print(f"Feil: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into `head` and closed early
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
