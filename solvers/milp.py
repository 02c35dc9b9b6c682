"""Mixed-integer model (OR-Tools model_builder with SCIP or HiGHS) for discrete exchange rules.

Per candidate arc ``a`` a continuous quantity ``x_a`` (canonical offer units) and, where a
discrete rule touches the arc, a binary ``y_a`` (the exchange is established):

maximise   sum_a w_a x_a + sum_a l_a y_a              (l_a: minus the yearly link cost, weighted)
subject to sum_{a out of o} x_a <= S_o,  sum_{a into n} yield_a x_a <= D_n
           x_a <= u_a y_a                                       (an exchange needs its link)
           x_a >= L_o y_a,  yield_a x_a >= L_n y_a              (minimum lots)
           x_a >= S_o y_a,  yield_a x_a >= D_n y_a              (all or nothing)
           sum_{a of listing} y_a <= P                          (partner limits; 1 for all or nothing)
           y_a = 1, x_a >= m_a                                  (locks)
Arcs that cannot meet a lot or an all-or-nothing quantity are left out before the model is built.
The model is filled from sparse arrays in one call; the solution of the continuous relaxation,
repaired to respect the discrete rules, is passed to SCIP as a hint (warm start).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder as mb

from solvers.params import MILP_ENGINES
from symbiosis.options import LOT_TOL, ListingRules

#: Engines this module drives through model_builder.


@dataclass(frozen=True)
class MilpParams:
    """Limits and controls of a MILP solve."""

    engine: str = "scip"
    time_limit_s: float | None = 60.0
    relative_gap: float = 1e-4
    workers: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.engine not in MILP_ENGINES:
            raise ValueError(f"MILP engine must be one of {MILP_ENGINES}, not {self.engine!r}")

    def solver_specific(self) -> str:
        if self.engine == "scip":
            return f"limits/gap = {self.relative_gap}\nrandomization/randomseedshift = {self.seed}"
        return f"mip_rel_gap={self.relative_gap}\nrandom_seed={self.seed}\nthreads={self.workers}"


@dataclass(frozen=True)
class MilpModel:
    """The built model and the meaning of its columns."""

    model: mb.Model
    num_arcs: int
    binary_arcs: np.ndarray  # positions (in the arcs given) that have a binary, in column order
    objective_offset: float = 0.0


@dataclass(frozen=True)
class MilpSolution:
    status: str
    has_solution: bool
    optimal: bool
    flows: np.ndarray
    established: np.ndarray  # bool per arc
    objective: float
    bound: float
    gap: float
    seconds: float


def build_milp(
    arcs: pd.DataFrame, weights: np.ndarray, link_weights: np.ndarray, rules: ListingRules,
    *, binaries: np.ndarray | None = None,
) -> MilpModel:
    """Build the MILP for ``arcs`` (all usable). ``binaries`` marks arcs that get a binary (by
    default: those with a discrete listing option, a lock, or a link cost)."""
    m = len(arcs)
    locked = arcs["locked"].to_numpy(dtype=bool) if "locked" in arcs else np.zeros(m, bool)
    lock_min = arcs["lock_min"].to_numpy(dtype=float) if "lock_min" in arcs else np.zeros(m)
    if binaries is None:
        binaries = rules.discrete() | locked | (np.asarray(link_weights) != 0)
    b = np.flatnonzero(binaries)
    k = len(b)
    upper = arcs["upper"].to_numpy(dtype=float)
    yields = arcs["yield"].to_numpy(dtype=float)
    offer_codes, offer_ids = pd.factorize(arcs["offer_id"])
    need_codes, need_ids = pd.factorize(arcs["need_id"])
    n_o, n_n = len(offer_ids), len(need_ids)
    first_o = pd.Series(np.arange(m)).groupby(offer_codes).first().to_numpy() if m else np.zeros(0, int)
    first_n = pd.Series(np.arange(m)).groupby(need_codes).first().to_numpy() if m else np.zeros(0, int)

    rows, cols, vals, lo, hi = [], [], [], [], []
    row = 0

    def block(r, c, v, lower, upper_):
        nonlocal row
        rows.append(np.asarray(r) + row)
        cols.append(np.asarray(c))
        vals.append(np.asarray(v, dtype=float))
        count = len(lower)
        lo.append(np.asarray(lower, dtype=float))
        hi.append(np.asarray(upper_, dtype=float))
        row += count

    arange = np.arange(m)
    block(offer_codes, arange, np.ones(m), np.full(n_o, -np.inf), rules.offer_qty[first_o])
    block(need_codes, arange, yields, np.full(n_n, -np.inf), rules.need_qty[first_n])
    if k:
        yb = m + np.arange(k)
        kk = np.arange(k)
        # x_a - u_a y_a <= 0
        block(np.concatenate([kk, kk]), np.concatenate([b, yb]), np.concatenate([np.ones(k), -upper[b]]),
              np.full(k, -np.inf), np.zeros(k))
        # Lots and all-or-nothing as x_a * coef - need y_a >= 0, one row per arc carrying the strongest.
        offer_floor = np.maximum(rules.offer_lot[b], np.where(rules.offer_aon[b], rules.offer_qty[b], 0.0))
        need_floor = np.maximum(rules.need_lot[b], np.where(rules.need_aon[b], rules.need_qty[b], 0.0))
        for coef, floor in ((np.ones(k), offer_floor), (yields[b], need_floor)):
            sel = np.flatnonzero(floor > 0)
            if len(sel):
                s = np.arange(len(sel))
                block(np.concatenate([s, s]), np.concatenate([b[sel], yb[sel]]),
                      np.concatenate([coef[sel], -floor[sel]]), np.zeros(len(sel)), np.full(len(sel), np.inf))
        # Partner limits (all or nothing means one partner).
        for codes, limit, aon in ((offer_codes, rules.offer_partners, rules.offer_aon),
                                  (need_codes, rules.need_partners, rules.need_aon)):
            cap = np.where(aon[b], np.minimum(limit[b], 1.0), limit[b])
            sel = np.flatnonzero(np.isfinite(cap))
            if len(sel):
                groups, group_ids = pd.factorize(codes[b[sel]])
                caps = pd.Series(cap[sel]).groupby(groups).first().to_numpy()
                block(groups, yb[sel], np.ones(len(sel)), np.full(len(group_ids), -np.inf), caps)
    n_vars = m + k
    matrix = sp.csr_matrix(
        (np.concatenate(vals) if vals else np.zeros(0), (np.concatenate(rows), np.concatenate(cols))),
        shape=(row, n_vars),
    )
    var_lo = np.concatenate([np.where(locked, lock_min, 0.0), locked[b].astype(float)])
    var_hi = np.concatenate([upper, np.ones(k)])
    objective = np.concatenate([np.asarray(weights, dtype=float), np.asarray(link_weights, dtype=float)[b]])
    model = mb.Model()
    model.helper.fill_model_from_sparse_data(var_lo, var_hi, objective, np.concatenate(lo), np.concatenate(hi), matrix)
    for j in range(m, n_vars):
        model.helper.set_var_integrality(j, True)
    model.helper.set_maximize(True)
    return MilpModel(model=model, num_arcs=m, binary_arcs=b)


def add_warm_start(mm: MilpModel, flows: np.ndarray) -> None:
    """Hint a feasible-looking start: the given flows and their links."""
    variables = mm.model.get_variables()
    for j in range(mm.num_arcs):
        mm.model.add_hint(variables[j], float(flows[j]))
    for i, a in enumerate(mm.binary_arcs):
        mm.model.add_hint(variables[mm.num_arcs + i], 1.0 if flows[a] > 0 else 0.0)


def solve_milp(mm: MilpModel, params: MilpParams) -> MilpSolution:
    """Solve with the chosen engine; flows are zero where no solution was found."""
    solver = mb.Solver(params.engine)
    if params.time_limit_s is not None:
        solver.set_time_limit_in_seconds(params.time_limit_s)
    solver.set_solver_specific_parameters(params.solver_specific())
    started = time.perf_counter()
    status = solver.solve(mm.model)
    seconds = time.perf_counter() - started
    has = status in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE)
    m = mm.num_arcs
    if has and mm.model.num_variables:
        values = solver.values(mm.model.get_variables()).to_numpy(dtype=float)
        flows = np.clip(values[:m], 0.0, None)
        established = flows > 0
        objective, bound = float(solver.objective_value), float(solver.best_objective_bound)
    else:
        flows, established = np.zeros(m), np.zeros(m, bool)
        objective = bound = 0.0 if not mm.model.num_variables else float("nan")
        has = has or not mm.model.num_variables
    gap = abs(bound - objective) / max(abs(bound), 1e-9) if has and np.isfinite(bound) else float("nan")
    return MilpSolution(
        status=status.name.lower(), has_solution=has, optimal=status == mb.SolveStatus.OPTIMAL,
        flows=flows, established=established, objective=objective, bound=bound, gap=gap, seconds=seconds,
    )


def repair_for_rules(flows: np.ndarray, arcs: pd.DataFrame, rules: ListingRules) -> np.ndarray:
    """Make continuous flows respect lots, partner limits and all-or-nothing by dropping arcs:
    the result is feasible whenever the input respects the quantities (used as a warm start)."""
    flows = flows.copy()
    yields = arcs["yield"].to_numpy(dtype=float)
    too_small = (flows < rules.offer_lot * (1 - LOT_TOL)) | (flows * yields < rules.need_lot * (1 - LOT_TOL))
    not_whole = (rules.offer_aon & (flows < rules.offer_qty * (1 - LOT_TOL))) | (
        rules.need_aon & (flows * yields < rules.need_qty * (1 - LOT_TOL)))
    flows[too_small | not_whole] = 0.0
    for column, limit, aon in (("offer_id", rules.offer_partners, rules.offer_aon),
                               ("need_id", rules.need_partners, rules.need_aon)):
        cap = np.where(aon, np.minimum(limit, 1), limit)
        frame = pd.DataFrame({"listing": arcs[column].to_numpy(), "flow": flows, "cap": cap})
        frame = frame[(frame["flow"] > 0) & np.isfinite(frame["cap"])]
        if frame.empty:
            continue
        frame = frame.sort_values("flow", ascending=False)
        rank = frame.groupby("listing").cumcount()
        flows[frame.index[rank.to_numpy() >= frame["cap"].to_numpy()]] = 0.0
    return flows
