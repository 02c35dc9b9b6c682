"""Benchmark the MILP on synthetic regions with minimum lots on a third of the listings and link costs.

Usage: python benchmarks/milp.py [--sizes 5000 20000 100000] [--limits 60 60 180] [--second-engine-up-to 5000]

For each size: time to a 1 % gap against the LP bound, the gap reached within the time limit at
the default gap (1e-4, so the solve runs until the limit or a proof), the objective against the
LP bound (the LP relaxation of the whole model, strengthened by valid flow cover inequalities
where link costs are paid: the honest bound; components above
``SolveParams.milp_full_up_to_arcs`` arcs are decomposed, see solvers/decompose.py) and against
greedy; up to --second-engine-up-to listings the same model is also solved by the second engine
(HiGHS). The objective is `value` (EUR/yr), so the link costs of datasets/link_costs.csv count.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from solvers.solve import solve  # noqa: E402
from solvers.params import SolveParams  # noqa: E402
from symbiosis.candidates import build_candidates  # noqa: E402
from solvers.decompose import lp_bound  # noqa: E402
from solvers.solve import SolveInputs, plan_components  # noqa: E402
from symbiosis.registry import validate_tables  # noqa: E402
from symbiosis.synthetic import generate_region  # noqa: E402

#: Share of listings that get a minimum lot, and the lot as a share of their quantity.
LOT_SHARE = 1 / 3
LOT_RANGE = (0.2, 0.6)


def region_with_lots(n_listings: int, seed: int):
    companies, listings = generate_region(n_listings=n_listings, seed=seed)
    rng = np.random.default_rng(seed + 1)
    chosen = rng.random(len(listings)) < LOT_SHARE
    lots = listings["quantity"].to_numpy(dtype=float) * rng.uniform(*LOT_RANGE, len(listings))
    listings["min_lot"] = np.where(chosen, np.round(lots, 3), np.nan)
    return validate_tables(companies, listings)


def relaxation(cands, params: SolveParams) -> float:
    """The LP bound on the primary objective: the sum over the independent components of the arcs
    the engine uses of their LP relaxations (binaries continuous in [0, 1]; with flow cover
    inequalities where link costs are paid, as the engine's decomposition computes it, but with
    every cut round: see solvers.decompose.lp_bound), solved by GLOP."""
    inputs = SolveInputs.of(cands, params)
    plans, _ = plan_components(inputs, params)
    total = 0.0
    for plan in plans:
        sub = inputs.subset(plan.members)
        objective = replace(sub.objective, tiebreak=np.zeros(len(plan.members)), grade_drop=np.zeros(len(plan.members)))
        total += lp_bound(sub.arcs, objective, sub.rules, params)[1]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 20_000, 100_000])
    parser.add_argument("--limits", type=float, nargs="+", default=[60.0, 60.0, 180.0],
                        help="time limit per size (the last one repeats)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--second-engine-up-to", type=int, default=5_000)
    args = parser.parse_args()
    print("| listings | arcs | listings with a lot | engine | limit s | s to 1 % | gap to LP bound at 1 % run | "
          "gap to LP bound after limit | gap to engine bound after limit | s used | objective EUR/yr | LP bound | greedy | "
          "MILP/greedy |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for number, size in enumerate(args.sizes):
        limit = args.limits[min(number, len(args.limits) - 1)]
        base = SolveParams(objective="value", time_limit_s=limit)
        registry = region_with_lots(size, args.seed)
        cands = build_candidates(registry)
        bound = relaxation(cands, base)
        greedy = solve(cands, replace(base, solver="greedy")).objective_value
        engines = ["scip", "highs"] if size <= args.second_engine_up_to else ["scip"]
        for engine in engines:
            t = time.perf_counter()
            one = solve(cands, replace(base, milp_engine=engine, relative_gap=0.01))
            to_one = time.perf_counter() - t
            gap_one = (bound - one.objective_value) / bound
            t = time.perf_counter()
            full = solve(cands, replace(base, milp_engine=engine))  # the default gap (1e-4): to the limit
            used = time.perf_counter() - t
            gap_full = (bound - full.objective_value) / bound
            print(f"| {size:,} | {len(cands.arcs):,} | {int(registry.listings['min_lot'].notna().sum()):,} | "
                  f"{engine} | {limit:.0f} | {to_one:.1f}{'' if gap_one <= 0.01 else ' (not reached)'} | {gap_one:.4%} | "
                  f"{gap_full:.4%} | {full.gap:.4%} | {used:.1f} | {full.objective_value:,.0f} | {bound:,.0f} | {greedy:,.0f} | "
                  f"{full.objective_value / greedy if greedy else float('nan'):.4f} |", flush=True)


if __name__ == "__main__":
    main()
