"""Zone commands: ``compare-zones`` (two zone sets side by side)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from geo.analysis.concentration import concentration
from geo.analysis.metrics import coverage_table
from geo.analysis.provenance import settings_lines
from geo.analysis.zone_compare import COMPARED_METRICS, ZoneComparison, compare_zone_sets
from geo.cli.common import (
    EXIT_OK,
    add_common_analysis_args,
    add_format_argument,
    area_from_args,
    build_study_and_engine,
    candidates_from_args,
    parse_categories,
    threshold_from_args,
    write_or_print,
    zone_set_from_args,
)
from geo.data.datasets import find_dataset
from geo.data.drug_scenes import load_drug_scenes, place_drug_scenes
from geo.labels import FORMATS, TERMINAL_METRICS, metric_kind
from geo.network.build import load_walk_network, network_dirs, network_sources, study_engine

__all__ = [
    "add_commands",
    "comparison_from_args",
]


def comparison_from_args(args: argparse.Namespace, against: str) -> ZoneComparison:
    """``--zones`` against another zone set, with the other options as every command reads them."""
    base, _ = build_study_and_engine(args)
    area = area_from_args(args)
    cases = []
    for choice in (args.zones, against):
        study = base.with_zones(
            zone_set_from_args(argparse.Namespace(**{**vars(args), "zones": choice}), base), area
        )
        _, engine = study_engine(study, args.distance, args.speed, args.data_dir, args.unreached)
        cases.append((study, engine))
    return compare_zone_sets(
        cases, parse_categories(args.categories), threshold_from_args(args), args.speed
    )


def _cmd_compare_zones(args: argparse.Namespace) -> int:
    comparison = comparison_from_args(args, args.against)
    if args.format == "csv":
        write_or_print(comparison.side_by_side().to_csv(index=False), args.out)
        return EXIT_OK
    if args.format == "json":
        payload = {
            "zone_sets": comparison.labels,
            "without_service": dict(
                zip(comparison.labels, comparison.without_service, strict=True)
            ),
            "balance": json.loads(comparison.balance.to_json(orient="records", force_ascii=False)),
            "rows": json.loads(
                comparison.side_by_side().to_json(orient="records", force_ascii=False)
            ),
        }
        write_or_print(json.dumps(payload, ensure_ascii=False, indent=2), args.out)
        return EXIT_OK
    blocks = []
    for label, table in zip(comparison.labels, comparison.tables, strict=True):
        shown = table[["zone", *COMPARED_METRICS]].rename(
            columns={"zone": "Sone", **{m: TERMINAL_METRICS.get(m, m) for m in COMPARED_METRICS}}
        )
        formatters = {
            TERMINAL_METRICS.get(m, m): FORMATS["text"][metric_kind(m)].format
            for m in COMPARED_METRICS
            if m != "n_services"
        }
        blocks.append(f"{label}\n{shown.to_string(index=False, formatters=formatters)}")
    balance = comparison.balance.drop(columns=["metric"]).rename(columns={"label": "Balansemål"})
    text = "\n\n".join(
        [
            *blocks,
            "Balanse (andel innen terskel, veid med innbyggere):\n"
            + balance.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            "\n".join(comparison.lines()),
        ]
    )
    write_or_print(text, args.out)
    return EXIT_OK


def _cmd_concentration(args: argparse.Namespace) -> int:
    study, _ = build_study_and_engine(args)
    scenes = place_drug_scenes(
        load_drug_scenes(find_dataset("open_drug_scenes", args.data_dir)),
        network_sources(network_dirs(args.data_dir)[0]) or [],
    )
    candidates = candidates_from_args(args) if args.candidates else None
    network = load_walk_network(args.data_dir)
    cats = parse_categories(args.categories) or ["brukerrom"]
    result = concentration(study, cats, scenes, candidates, network)
    measures = result.measures.drop(columns=["metric"]).rename(
        columns={
            "label": "Mål",
            "today": "I dag",
            "with_candidates": "Med kandidater",
            "change": "Endring",
        }
    )
    scenes_shown = result.scenes.rename(
        columns={
            "area": "Rusmiljø",
            "nearest_today": "Nærmeste tilbud i dag",
            "straight_m_today": "Luftlinje (m)",
            "walk_m_today": "Gangavstand (m)",
            "nearest_with": "Nærmeste med kandidater",
            "straight_m_with": "Luftlinje med (m)",
            "walk_m_with": "Gangavstand med (m)",
        }
    ).drop(columns=["placed_from"])
    text = "\n\n".join(
        [
            "\n".join(settings_lines(coverage_table(study, cats))),
            measures.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            scenes_shown.to_string(index=False, float_format=lambda v: f"{v:.0f}"),
            "\n".join(
                [
                    *result.notes,
                    *(
                        f"{a}: {p}"
                        for a, p in zip(
                            result.scenes["area"], result.scenes["placed_from"], strict=True
                        )
                    ),
                ]
            ),
        ]
    )
    write_or_print(text, args.out)
    return EXIT_OK


def add_commands(sub: Any) -> None:
    """Register ``compare-zones`` and ``concentration``."""
    p = sub.add_parser(
        "compare-zones",
        help="samme mål under to soneinndelinger side om side (f.eks. bydel mot forslag-a)",
    )
    add_common_analysis_args(p)
    p.add_argument(
        "--against",
        default="forslag-a",
        help="soneinndelingen det sammenlignes med (standard forslag-a); --zones er den første",
    )
    add_format_argument(p)
    p.add_argument("--out", help="skriv til fil i stedet for skjerm")
    p.set_defaults(func=_cmd_compare_zones)

    p = sub.add_parser(
        "concentration",
        help="hvor samlet tilbudene er i studieområdet, og avstand fra de åpne rusmiljøene",
    )
    add_common_analysis_args(p)
    p.add_argument("--out", help="skriv til fil i stedet for skjerm")
    p.set_defaults(func=_cmd_concentration)
