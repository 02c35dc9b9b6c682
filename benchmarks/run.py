"""Benchmark the matching run: seconds and peak memory per stage, the raw OR-Tools solve on the same
arcs, and optimal against greedy on the synthetic region and on harder families.

Usage: python benchmarks/run.py [--sizes 1000 10000 100000] [--million] [--in-parts N ...] [--seed 0] [--families]

Each size runs in its own process, so that peak memory (the process's maximum resident set size,
read after each stage) belongs to that size alone. In the same process the raw OR-Tools solve is
timed on the same arcs: SimpleMinCostFlow on each flow component's prebuilt network, GLOP on each
LP component's prebuilt model, and the engine's own MILP work on each discrete component; the
engine's solve stage is reported as a ratio to it.

In parts (``--in-parts``): the same sizes matched one independent part at a time
(``match(..., in_parts=True)``, the command line's default from 500,000 listings): seconds of
reading, candidate search and solve (summed over the parts), writing, and peak memory after each;
the arcs are not kept, so there is no raw solve or greedy on them.

Families (``--families``): the synthetic region, where every arc of a material group is worth about
the same per tonne; sparse reach with heavy-tailed quantities (listing reach 10 km, Pareto
quantities), where choices matter more; and seeded chain gadgets (an offer near two needs and a
second offer that reaches only the nearer need: greedy takes the nearer pair and strands both
others, the optimum serves both needs), where greedy reaches half the optimum.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Listing reach (km) and Pareto shape of the quantities in the sparse heavy-tailed family.
SPARSE_REACH_KM = 10.0
PARETO_SHAPE = 1.2
#: Chain gadgets: kilometres east of the first offer of the need it prefers, the other need, and
#: the second offer (west); the second offer's reach; and the material (same EWC code on both sides).
GADGET_KM = (0.5, 2.0, -1.5)
GADGET_REACH_KM = 3.0
GADGET_MATERIAL = "19 08 05"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _ChildPeak:
    """While open, the largest peak resident set (``VmHWM``) of this process's child processes,
    polled from ``/proc``: the solver's worker processes, whose memory comes on top of this
    process's; and (``together_mb``) the most this process and its children held at one moment.
    (``RUSAGE_CHILDREN`` cannot tell: a child started by fork and exec reports the parent's size at
    the fork.)"""

    def __init__(self, every_s: float = 0.2):
        self.every_s, self.peak_mb, self.together_mb, self._stop = every_s, 0.0, 0.0, threading.Event()

    def _poll(self) -> None:
        page_mb = resource.getpagesize() / 2**20
        while not self._stop.wait(self.every_s):
            # This process's and its children's resident sets at the same moment, added up.
            together = int(Path("/proc/self/statm").read_text().split()[1]) * page_mb
            for children in Path("/proc/self/task").glob("*/children"):
                for pid in children.read_text().split():
                    try:
                        status = Path(f"/proc/{pid}/status").read_text()
                    except OSError:
                        continue
                    for line in status.splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024.0)
                        elif line.startswith("VmRSS:"):
                            together += int(line.split()[1]) / 1024.0
            self.together_mb = max(self.together_mb, together)

    def __enter__(self) -> "_ChildPeak":
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def sparse_heavy_tailed(n_listings: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The synthetic region with short listing reach and Pareto-distributed quantities."""
    from symbiosis.synthetic import generate_region

    companies, listings = generate_region(n_listings=n_listings, seed=seed)
    rng = np.random.default_rng(seed + 7)
    median = listings["quantity"].median()
    listings["quantity"] = np.round(median * (rng.pareto(PARETO_SHAPE, len(listings)) + 0.1), 3)
    listings["max_distance_km"] = SPARSE_REACH_KM
    return companies, listings


def chain_gadgets(n_gadgets: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n_gadgets`` separate chains of four listings (two offers, two needs) at random places."""
    rng = np.random.default_rng(seed)
    km_per_deg = 6371.0088 * np.pi / 180
    companies, listings = [], []
    for g in range(n_gadgets):
        lat, lon = rng.uniform(54.8, 57.5), rng.uniform(8.3, 12.5)
        per_km_lon = 1 / (km_per_deg * np.cos(np.radians(lat)))
        q = float(np.round(rng.uniform(100, 1000), 1))
        places = {"x": 0.0, "n1": GADGET_KM[0], "n2": GADGET_KM[1], "y": GADGET_KM[2]}
        for key, east in places.items():
            cid = f"G{g:06d}{key}"
            companies.append({"company_id": cid, "name": f"gadget {g} {key}", "nace": "38.32",
                              "lat": round(lat, 6), "lon": round(lon + east * per_km_lon, 6)})
            listings.append({"listing_id": f"L{g:06d}{key}", "company_id": cid,
                             "kind": "need" if key.startswith("n") else "offer", "material": GADGET_MATERIAL,
                             "quantity": q, "unit": "t/yr",
                             "max_distance_km": GADGET_REACH_KM if key == "y" else np.nan})
    return pd.DataFrame(companies), pd.DataFrame(listings)


def optimal_and_greedy(companies: pd.DataFrame, listings: pd.DataFrame) -> tuple[float, float]:
    from dataclasses import replace

    from solvers import match
    from solvers.params import SolveParams
    from solvers.solve import solve

    run = match(companies, listings)
    greedy = solve(run.candidates, replace(SolveParams(), solver="greedy"))
    return run.result.objective_value, greedy.objective_value


def raw_ortools_seconds(cands, params) -> float:
    """Seconds of the OR-Tools work on the engine's arcs, built beforehand: SimpleMinCostFlow on
    every flow component's network; GLOP on every LP component; and for every discrete component
    the engine's own MILP work on it (its relaxation and SCIP solves, timed with the little Python
    between them, so the ratio is if anything flattering to the raw side)."""
    from solvers.flow import solve_flow_network
    from solvers.lp import build_linear_model, solve_linear_model
    from solvers.solve import SolveInputs, plan_components, solve_component

    inputs = SolveInputs.of(cands, params)
    seconds = 0.0
    for plan in plan_components(inputs, params)[0]:
        members = plan.members
        if plan.kind == "milp":
            task = plan.task(inputs, params)
            t = time.perf_counter()
            solve_component(task)
        elif plan.kind == "flow":  # the network the engine solves, its nodes in the same order
            net = plan.task(inputs, params).network
            t = time.perf_counter()
            solve_flow_network(net)
        else:
            model = build_linear_model(inputs.arcs.iloc[members], inputs.objective.effective[members], inputs.offer_quantity,
                                       inputs.need_quantity)
            t = time.perf_counter()
            solve_linear_model(model)
        seconds += time.perf_counter() - t
    return seconds


def measure(n_listings: int, seed: int) -> dict:
    """Run one size in this process and return its measurements."""
    from service.files import write_outputs
    from solvers.matching import Match
    from solvers.params import SolveParams
    from solvers.solve import solve
    from symbiosis.candidates import CandidateParams, build_candidates
    from symbiosis.registry import read_registry
    from symbiosis.synthetic import write_region

    row: dict = {"listings": n_listings}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_region(tmp, n_listings=n_listings, seed=seed)
        base = _peak_mb()
        stages = {}

        t = time.perf_counter()
        registry = read_registry(companies=tmp / "companies.csv", listings=tmp / "listings.csv")
        stages["read"] = (time.perf_counter() - t, _peak_mb())
        t = time.perf_counter()
        cands = build_candidates(registry, CandidateParams())
        stages["candidates"] = (time.perf_counter() - t, _peak_mb())
        t = time.perf_counter()
        with _ChildPeak() as workers:  # solver worker processes, from PARALLEL_MIN_ARCS useful arcs
            result = solve(cands, SolveParams())
        stages["solve"] = (time.perf_counter() - t, _peak_mb())
        row["worker_peak_mb"] = workers.peak_mb
        t = time.perf_counter()
        with _ChildPeak() as writer:  # the workbook's worker process, from WORKBOOK_WORKER_MIN_EXCHANGES
            write_outputs(Match(registry, cands, result), tmp / "out")
        row["writer_peak_mb"] = writer.peak_mb
        stages["write"] = (time.perf_counter() - t, _peak_mb())
        t = time.perf_counter()
        greedy = solve(cands, SolveParams(solver="greedy"))
        greedy_s = time.perf_counter() - t
        raw = raw_ortools_seconds(cands, SolveParams())
        row.update({
            "companies": len(registry.companies), "arcs": len(cands.arcs), "exchanges": len(result.exchanges),
            "solver": result.solver, "components": result.details["components"], "status": result.status.value,
            "gap": result.gap, "objective_t": result.objective_value, "greedy_t": greedy.objective_value,
            "greedy_s": greedy_s, "raw_s": raw, "peak_before_mb": base,
        })
        for name, (seconds, peak) in stages.items():
            row[f"{name}_s"] = seconds
            row[f"{name}_peak_mb"] = peak
        row["total_s"] = sum(s for s, _ in stages.values())
    return row


def measure_in_parts(n_listings: int, seed: int) -> dict:
    """Run one size in parts in this process and return its measurements."""
    from service.files import write_outputs
    from solvers.matching import match
    from symbiosis.registry import read_registry
    from symbiosis.synthetic import write_region

    row: dict = {"listings": n_listings}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_region(tmp, n_listings=n_listings, seed=seed)
        t = time.perf_counter()
        registry = read_registry(companies=tmp / "companies.csv", listings=tmp / "listings.csv")
        row.update(read_s=time.perf_counter() - t, read_peak_mb=_peak_mb())
        with _ChildPeak() as workers:
            run = match(registry=registry, in_parts=True)
        row.update(candidates_s=run.timings["candidates"], solve_s=run.timings["solve"],
                   partition_s=run.timings["partition"], match_peak_mb=_peak_mb(), worker_peak_mb=workers.peak_mb)
        t = time.perf_counter()
        with _ChildPeak() as writer:
            write_outputs(run, tmp / "out")
        row.update(write_s=time.perf_counter() - t, write_peak_mb=_peak_mb(), writer_peak_mb=writer.peak_mb,
                   together_mb=max(_peak_mb(), workers.together_mb, writer.together_mb))
        result = run.result
        row.update(arcs=result.details["arcs"], parts=result.details["parts"], exchanges=len(result.exchanges),
                   status=result.status.value, gap=result.gap, objective_t=result.objective_value,
                   total_s=row["read_s"] + row["partition_s"] + row["candidates_s"] + row["solve_s"] + row["write_s"])
    return row


def families(seed: int) -> list[tuple[str, float, float]]:
    from symbiosis.synthetic import generate_region

    rows = []
    for name, (companies, listings) in (
        ("synthetic region, 10k listings", generate_region(n_listings=10_000, seed=seed)),
        ("sparse reach, heavy-tailed quantities, 10k", sparse_heavy_tailed(10_000, seed)),
        ("chain gadgets, 250 x 4 listings", chain_gadgets(250, seed)),
    ):
        optimal, greedy = optimal_and_greedy(companies, listings)
        rows.append((name, optimal, greedy))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 listings")
    parser.add_argument("--families", action="store_true", help="also compare optimal and greedy on harder families")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--in-parts", type=int, nargs="*", default=[], metavar="N",
                        help="also run these sizes in independent parts")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one-in-parts", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed)))
        return
    if args.one_in_parts:
        print(json.dumps(measure_in_parts(args.one_in_parts, args.seed)))
        return
    sizes = args.sizes + ([1_000_000] if args.million else [])
    rows = []
    for size in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size), "--seed", str(args.seed)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| listings | arcs | read s | candidates s | solve s | write s | total s | peak MB | raw OR-Tools s | "
          "solve / raw | status (gap) | objective t/yr | greedy t/yr | optimal/greedy |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    for r in rows:
        ratio = r["objective_t"] / r["greedy_t"] if r["greedy_t"] else float("nan")
        print(f"| {r['listings']:,} | {r['arcs']:,} | {r['read_s']:.2f} | {r['candidates_s']:.2f} | {r['solve_s']:.2f} | "
              f"{r['write_s']:.2f} | {r['total_s']:.2f} | {r['write_peak_mb']:.0f} | {r['raw_s']:.2f} | "
              f"{r['solve_s'] / r['raw_s']:.2f} | {r['status']} ({r['gap']:.2%}) | {r['objective_t']:,.0f} | "
              f"{r['greedy_t']:,.0f} | {ratio:.4f} |")
    print()
    print("Peak memory after each stage (MB): " + "; ".join(
        f"{r['listings']:,}: " + ", ".join(f"{s} {r[f'{s}_peak_mb']:.0f}" for s in ("read", "candidates", "solve", "write"))
        + (f"; largest solver worker process {r['worker_peak_mb']:.0f}" if r.get("worker_peak_mb") else "")
        + (f"; workbook worker process {r['writer_peak_mb']:.0f}" if r.get("writer_peak_mb") else "")
        for r in rows))
    if args.in_parts:
        parted = []
        for size in args.in_parts:
            out = subprocess.run([sys.executable, __file__, "--one-in-parts", str(size), "--seed", str(args.seed)],
                                 capture_output=True, text=True, check=True)
            parted.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print()
        print("In parts:")
        print("| listings | parts | arcs | read s | candidates s | solve s | write s | total s | peak MB "
              "(read, match, write) | largest worker MB (solver, workbook) | most MB at once, workers included "
              "| status (gap) | objective t/yr |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|---:|")
        for r in parted:
            print(f"| {r['listings']:,} | {r['parts']} | {r['arcs']:,} | {r['read_s']:.2f} | {r['candidates_s']:.2f} | "
                  f"{r['solve_s']:.2f} | {r['write_s']:.2f} | {r['total_s']:.2f} | {r['read_peak_mb']:.0f}, "
                  f"{r['match_peak_mb']:.0f}, {r['write_peak_mb']:.0f} | {r['worker_peak_mb']:.0f}, "
                  f"{r['writer_peak_mb']:.0f} | {r['together_mb']:.0f} | {r['status']} ({r['gap']:.2%}) | "
                  f"{r['objective_t']:,.0f} |")
    if args.families:
        print()
        print("| family | optimal t/yr | greedy t/yr | optimal/greedy |")
        print("|---|---:|---:|---:|")
        for name, optimal, greedy in families(args.seed):
            print(f"| {name} | {optimal:,.0f} | {greedy:,.0f} | {optimal / greedy if greedy else float('nan'):.4f} |")


if __name__ == "__main__":
    main()
