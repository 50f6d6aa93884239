"""Benchmark: exact MCLP (HiGHS) for p = 1..5 with 300 candidates on the Oslo reference data.

Run: ``.venv/bin/python bench/bench_siting.py [--cell 100] [--candidates 300] [--distance straight]``

Demand: residents per bydel (reference data) spread over 100 m cells (geo.population.demand_points).
Candidates: a seeded random sample of 300 points from a 250 m grid inside all bydeler.
Existing services locked in: the located services of the chosen categories (default brukerrom).
Distances: straight line (or the walking network with ``--distance network`` when it is cached;
the fallback to straight line is printed).
Target: exact solve < 2 s for p <= 5 with 300 candidates.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from geo import settings
from geo.data.groups import load_bydel_groups
from geo.data.services import located
from geo.data.study import Study
from geo.network.build import study_engine
from geo.siting.candidates import grid_candidates
from geo.siting.model import CoverageModel


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell", type=float, default=settings.DEFAULT_CELL_M)
    parser.add_argument("--candidates", type=int, default=300)
    parser.add_argument("--distance", choices=["straight", "network"], default="straight")
    parser.add_argument("--categories", default="brukerrom")
    parser.add_argument("--thresholds", default="500,750")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    t0 = time.perf_counter()
    study, engine = study_engine(
        Study.load(cell_m=args.cell), args.distance, settings.DEFAULT_WALK_SPEED_KMH
    )
    grid = grid_candidates(study.bydeler, 250)
    rng = np.random.default_rng(args.seed)
    pick = np.sort(rng.choice(len(grid), size=min(args.candidates, len(grid)), replace=False))
    candidates = grid.iloc[pick].reset_index(drop=True)
    existing = located(study.services, args.categories.split(","))
    groups = load_bydel_groups().to_dict()
    print(
        f"Oslo: {len(study.demand)} demand points ({args.cell:g} m cells), "
        f"{len(candidates)} candidates (sample of a 250 m grid, seed {args.seed}), "
        f"{len(existing)} existing sites ({args.categories}); {engine.note}"
    )
    print(f"loading: {time.perf_counter() - t0:.2f} s")
    for threshold in (float(t) for t in args.thresholds.split(",")):
        t1 = time.perf_counter()
        model = CoverageModel.from_geodataframe(
            study.demand, candidates, engine, threshold, existing_sites=existing
        )
        reduced, _, _ = model.reduced()
        print(
            f"\nthreshold {threshold:g} m: model built in {time.perf_counter() - t1:.2f} s; "
            f"{model.n_demand} rows -> {reduced.shape[0]} after reduction"
        )
        print(
            f"{'p':>2} {'exact s':>8} {'status':>10} {'gap':>8} {'exact obj':>11} "
            f"{'greedy obj':>11} {'greedy/exact':>12} {'greedy s':>9} {'maximin s':>10} "
            f"{'mm status':>10} {'mm-group s':>10} {'mm-group status':>16}"
        )
        for p in range(1, 6):
            t2 = time.perf_counter()
            exact = model.solve_exact(p, time_limit_s=30)
            exact_s = time.perf_counter() - t2
            t3 = time.perf_counter()
            greedy = model.solve_greedy(p)
            greedy_s = time.perf_counter() - t3
            t4 = time.perf_counter()
            by_bydel = model.solve_maximin(p, time_limit_s=30)
            maximin_s = time.perf_counter() - t4
            t5 = time.perf_counter()
            by_group = model.solve_maximin(p, time_limit_s=30, group_map=groups)
            group_s = time.perf_counter() - t5
            ratio = greedy.newly_covered / exact.newly_covered if exact.newly_covered else 1.0
            print(
                f"{p:>2} {exact_s:>8.3f} {exact.solver['status']:>10.10} "
                f"{exact.solver['gap']:>8.2e} {exact.newly_covered:>11.0f} "
                f"{greedy.newly_covered:>11.0f} {ratio:>12.4f} {greedy_s:>9.3f} {maximin_s:>10.3f} "
                f"{by_bydel.solver['status']:>10.10} {group_s:>10.3f} {by_group.solver['status']:>16.16}"
            )


if __name__ == "__main__":
    main()
