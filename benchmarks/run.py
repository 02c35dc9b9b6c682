"""Benchmark the matching run on synthetic regions: seconds and peak memory per stage, objective vs greedy.

Usage: python benchmarks/run.py [--sizes 1000 10000 100000] [--seed 0]

Each size runs in its own process so that peak memory (the process's maximum resident set size,
read after each stage) belongs to that size alone. At 10k listings and below the script also times
networkx's min-cost flow on the same networks that OR-Tools solves.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(n_listings: int, seed: int) -> dict:
    """Run one size in this process and return its measurements."""
    import networkx as nx
    import numpy as np

    from service.files import write_outputs
    from solvers.matching import Match
    from solvers.solve import solve
    from solvers.flow import build_flow_network, solve_flow_network
    from solvers.network import find_material_components
    from solvers.params import SolveParams
    from symbiosis.candidates import CandidateParams, build_candidates
    from symbiosis.objective import ArcObjective
    from symbiosis.registry import read_registry
    from symbiosis.synthetic import generate_region

    row: dict = {"listings": n_listings}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        companies, listings = generate_region(n_listings=n_listings, seed=seed)
        companies.to_csv(tmp / "companies.csv", index=False)
        listings.to_csv(tmp / "listings.csv", index=False)
        del companies, listings
        base = _peak_mb()
        stages = {}

        t = time.perf_counter()
        registry = read_registry(companies=tmp / "companies.csv", listings=tmp / "listings.csv")
        stages["read"] = (time.perf_counter() - t, _peak_mb())
        t = time.perf_counter()
        cands = build_candidates(registry, CandidateParams())
        stages["candidates"] = (time.perf_counter() - t, _peak_mb())
        t = time.perf_counter()
        result = solve(cands, SolveParams())
        stages["solve"] = (time.perf_counter() - t, _peak_mb())
        t = time.perf_counter()
        write_outputs(Match(registry, cands, result), tmp / "out")
        stages["write"] = (time.perf_counter() - t, _peak_mb())
        greedy = solve(cands, SolveParams(solver="greedy"))

        row.update({
            "companies": len(registry.companies),
            "arcs": len(cands.arcs),
            "exchanges": len(result.exchanges),
            "solver": result.solver,
            "components": result.details["components"],
            "objective_t": result.objective_value,
            "greedy_t": greedy.objective_value,
            "peak_before_mb": base,
        })
        for name, (seconds, peak) in stages.items():
            row[f"{name}_s"] = seconds
            row[f"{name}_peak_mb"] = peak
        row["total_s"] = sum(s for s, _ in stages.values())

        if n_listings <= 10_000:
            arcs = cands.arcs
            objective = ArcObjective.of(arcs, "diverted")
            primary, effective = objective.primary, objective.effective
            useful = arcs[(primary > 0) & (effective > 0)]
            eff = effective[(primary > 0) & (effective > 0)]
            comps = find_material_components(useful)
            ortools_s = networkx_s = 0.0
            same = True
            for number, ok in comps.consistent.items():
                if not ok:
                    continue
                members = np.flatnonzero(comps.label == number)
                net = build_flow_network(useful.iloc[members], eff[members], cands.offers["quantity_canonical"],
                                         cands.needs["quantity_canonical"], comps.offer_scale[members],
                                         comps.need_scale[members])
                t = time.perf_counter()
                _, flows = solve_flow_network(net)
                ortools_s += time.perf_counter() - t
                g = nx.DiGraph()
                g.add_nodes_from((i, {"demand": -int(s)}) for i, s in enumerate(net.supplies))
                g.add_edges_from((int(a), int(b), {"capacity": int(c), "weight": int(w)})
                                 for a, b, c, w in zip(net.tails, net.heads, net.capacities, net.costs))
                t = time.perf_counter()
                cost = nx.min_cost_flow_cost(g)
                networkx_s += time.perf_counter() - t
                same &= cost == int(np.dot(flows, net.costs))
            row.update({"flow_ortools_s": ortools_s, "flow_networkx_s": networkx_s, "flow_costs_equal": bool(same)})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed)))
        return
    rows = []
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size), "--seed", str(args.seed)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| listings | arcs | read s | candidates s | solve s | write s | total s | peak MB | solver | objective t/yr | greedy t/yr | optimal/greedy |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    for r in rows:
        ratio = r["objective_t"] / r["greedy_t"] if r["greedy_t"] else float("nan")
        print(f"| {r['listings']:,} | {r['arcs']:,} | {r['read_s']:.2f} | {r['candidates_s']:.2f} | {r['solve_s']:.2f} | "
              f"{r['write_s']:.2f} | {r['total_s']:.2f} | {r['write_peak_mb']:.0f} | {r['solver']} | "
              f"{r['objective_t']:,.0f} | {r['greedy_t']:,.0f} | {ratio:.4f} |")
    print()
    print("Peak memory after each stage (MB): " + "; ".join(
        f"{r['listings']:,}: " + ", ".join(f"{s} {r[f'{s}_peak_mb']:.0f}" for s in ("read", "candidates", "solve", "write"))
        for r in rows))
    for r in rows:
        if "flow_networkx_s" in r:
            print(f"{r['listings']:,} listings, same min-cost-flow networks: OR-Tools {r['flow_ortools_s']:.3f} s, "
                  f"networkx {r['flow_networkx_s']:.3f} s, equal optimal cost: {r['flow_costs_equal']}")


if __name__ == "__main__":
    main()
