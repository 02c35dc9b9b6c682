"""Benchmark the MILP on synthetic regions with minimum lots on a third of the listings and link costs.

Usage: python benchmarks/milp.py [--sizes 1000 5000 20000] [--limit 60] [--second-engine-up-to 5000]

For each size: time to a 1 % gap, the gap reached within the time limit, the objective against
the LP relaxation of the same MILP and against greedy; up to --second-engine-up-to listings the
same model is also solved by the second engine (HiGHS) to compare objective and time.
The objective is `value` (EUR/yr), so the link costs of datasets/link_costs.csv count.
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
from solvers.milp import build_milp, solve_relaxation  # noqa: E402
from solvers.params import SolveParams  # noqa: E402
from symbiosis.candidates import build_candidates  # noqa: E402
from symbiosis.objective import ArcObjective  # noqa: E402
from symbiosis.options import ListingRules  # noqa: E402
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
    to_text = lambda frame: frame.astype(str).replace("nan", "")  # noqa: E731
    return validate_tables(to_text(companies), to_text(listings))


def relaxation(cands, params: SolveParams) -> float:
    """Objective of the MILP's LP relaxation (binaries continuous in [0, 1]), solved by GLOP."""
    arcs = cands.arcs
    objective = ArcObjective.of(arcs, params.objective)
    primary, link, effective = objective.primary, objective.link, objective.effective
    rules = ListingRules.for_arcs(arcs, cands.offers, cands.needs)
    usable = rules.usable(arcs["upper"].to_numpy(float), arcs["yield"].to_numpy(float))
    keep = np.flatnonzero((primary > 0) & (effective > 0) & usable)
    sub = arcs.iloc[keep]
    sub_rules = rules.subset(keep)
    _, value = solve_relaxation(build_milp(sub, primary[keep], link[keep], sub_rules))
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 5_000, 20_000])
    parser.add_argument("--limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--second-engine-up-to", type=int, default=5_000)
    args = parser.parse_args()
    base = SolveParams(objective="value", solver="milp", time_limit_s=args.limit)
    print("| listings | arcs | listings with a lot | engine | s to 1 % gap | gap at 1 % run | gap after limit | s used | "
          "objective EUR/yr | LP relaxation | greedy | MILP/greedy |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        registry = region_with_lots(size, args.seed)
        cands = build_candidates(registry)
        relaxed = relaxation(cands, base)
        greedy = solve(cands, replace(base, solver="greedy")).objective_value
        engines = ["scip", "highs"] if size <= args.second_engine_up_to else ["scip"]
        for engine in engines:
            t = time.perf_counter()
            one = solve(cands, replace(base, milp_engine=engine, relative_gap=0.01))
            to_one = time.perf_counter() - t
            t = time.perf_counter()
            full = solve(cands, replace(base, milp_engine=engine, relative_gap=0.0))
            used = time.perf_counter() - t
            print(f"| {size:,} | {len(cands.arcs):,} | {int(registry.listings['min_lot'].notna().sum()):,} | "
                  f"{engine} | {to_one:.1f}{'' if one.gap <= 0.01 else ' (not reached)'} | {one.gap:.4%} | "
                  f"{full.gap:.4%} | {used:.1f} | {full.objective_value:,.0f} | {relaxed:,.0f} | {greedy:,.0f} | "
                  f"{full.objective_value / greedy if greedy else float('nan'):.4f} |", flush=True)


if __name__ == "__main__":
    main()
