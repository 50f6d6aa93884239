"""Data commands: ``datasets``, ``fetch``, ``validate``, ``network-cache``, ``isochrones``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from geo import settings
from geo.cli.common import EXIT_BAD_INPUT, EXIT_OK, add_distance_arguments
from geo.data.datasets import fetch, list_datasets
from geo.data.services import load_candidates, read_services
from geo.errors import NetworkUnavailableError
from geo.inputs.read import read_any
from geo.labels import NOTE_FALLBACK, NOTE_NETWORK, NOTE_STRAIGHT
from geo.network.build import download_walk_network, format_speed, load_walk_network, network_dirs
from geo.network.isochrones import DEFAULT_ISOCHRONE_BUFFER_M, isochrones, straight_isochrones

__all__ = [
    "add_commands",
]


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
    path = download_walk_network() if args.dataset == "walk_network" else fetch(args.dataset)
    print(f"Lagret {args.dataset} i {path}")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:

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


def add_commands(sub: Any) -> None:
    """Register ``datasets``, ``fetch``, ``validate``, ``network-cache`` and ``isochrones``."""
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

    p = sub.add_parser(
        "network-cache",
        help="bygg gangnett-cachen (network/oslo_walk.npz) fra GraphML/OSM-fil eller nedlasting",
    )
    p.add_argument("--data-dir", help="mappe med network/-undermappe")
    p.add_argument(
        "--download", action="store_true", help="last ned fra OpenStreetMap (krever internett)"
    )
    p.set_defaults(func=_cli_network_cache)

    q = sub.add_parser(
        "isochrones", help="gangavstandsområder rundt lokasjoner (GeoJSON eller GPKG)"
    )
    q.add_argument(
        "sites", help="fil med lokasjoner (CSV/XLSX/GeoJSON/GPKG, samme skjema som tilbud)"
    )
    q.add_argument("--meters", type=float, nargs="*", help="terskler i meter, f.eks. 500")
    q.add_argument("--minutes", type=float, nargs="*", help="terskler i gangminutter, f.eks. 10 15")
    add_distance_arguments(q)
    q.add_argument("--buffer", type=float, default=DEFAULT_ISOCHRONE_BUFFER_M, help="korridor (m)")
    q.add_argument("--data-dir", help="mappe med network/-undermappe")
    q.add_argument(
        "--out", required=True, help="utfil (.geojson i EPSG:4326 eller .gpkg i EPSG:25832)"
    )
    q.set_defaults(func=_cli_isochrones)


def _cli_network_cache(args: argparse.Namespace) -> int:
    try:
        net = load_walk_network(args.data_dir, allow_download=args.download)
    except NetworkUnavailableError as exc:
        print(exc)
        return 1
    if net is None:
        folders = ", ".join(str(p) for p in network_dirs(args.data_dir))
        print(f"Fant ikke gangnett i {folders}. Legg inn en OSM-fil eller bruk --download.")
        return 2
    print(f"Gangnett: {net.describe()}")
    return 0


def _cli_isochrones(args: argparse.Namespace) -> int:

    loaded = load_candidates(args.sites)  # raises geo.io.InputError (exit 2) on unusable files
    for problem in loaded.problems:
        print(problem)
    frame = loaded.frame
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty].to_crs(settings.ANALYSIS_CRS)
    xy = np.column_stack([frame.geometry.x, frame.geometry.y])
    id_col = next((c for c in ("name", "id") if c in frame.columns), None)
    ids = frame[id_col].tolist() if id_col else list(range(len(frame)))
    speed = format_speed(args.speed)
    network = load_walk_network(args.data_dir) if args.distance == "network" else None
    if network is None:
        note = (
            NOTE_FALLBACK.format(speed=speed, reason="fant ikke gangnett")
            if args.distance == "network"
            else NOTE_STRAIGHT.format(speed=speed)
        )
        out = straight_isochrones(
            xy, args.meters, minutes=args.minutes, site_ids=ids, speed_kmh=args.speed
        )
    else:
        note = NOTE_NETWORK.format(speed=speed)
        out = isochrones(
            network,
            xy,
            args.meters,
            minutes=args.minutes,
            site_ids=ids,
            speed_kmh=args.speed,
            buffer_m=args.buffer,
        )
    out["note"] = note
    print(note)
    path = Path(args.out)
    if path.suffix == ".gpkg":
        out.to_file(path, driver="GPKG")
    else:  # GeoJSON is longitude/latitude by specification
        out.to_crs(settings.DISPLAY_CRS).to_file(path, driver="GeoJSON")
    print(f"Skrev {len(out)} områder til {path}")
    return 0
