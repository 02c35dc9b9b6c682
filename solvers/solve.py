"""Solve a candidate graph: choose an engine per material component, solve, extract a MatchResult."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from solvers.flow import FlowNetwork, build_flow_network, flows_to_arcs, solve_flow_network
from solvers.decompose import solve_decomposed
from solvers.greedy import solve_greedy
from solvers.lp import build_linear_model, solve_linear_model
from solvers.milp import build_milp, feasible_start, locked_arcs, repair_for_rules, solve_milp, solve_relaxation
from solvers.network import find_material_components
from solvers.params import SolveParams, SolverName
from solvers.result import EngineRun, MatchResult, Status, relative_gap, worst_status
from solvers.worker import answer_of, send, start_worker, usable_cores
from symbiosis.candidates import Candidates
from symbiosis.errors import InfeasibleError, SolverError
from symbiosis.explain import explain_unmatched
from symbiosis.geo import z_order_key
from symbiosis.impacts import EXCHANGE_MIN_QUANTITY, build_exchanges
from symbiosis.objective import ArcObjective, indicator_weights, per_unit_indicators
from symbiosis.options import ListingRules

#: Solves component tasks (given one at a time) and returns their runs in the same order.
RunTasks = Callable[[Iterable["ComponentTask"]], list[EngineRun]]
#: The arc columns the engines read.
ENGINE_COLUMNS = ("offer_id", "need_id", "material", "need_material", "yield", "upper", "distance_km", "locked",
                  "lock_min")


@dataclass(frozen=True)
class SolveInputs:
    """Everything the engines need about the candidate arcs, computed once per solve.

    Attributes
    ----------
    arcs
        The candidate arcs.
    offer_quantity, need_quantity
        Canonical yearly quantities by listing id.
    objective
        The objective on each arc.
    rules
        The listings' discrete options on each arc.
    locked
        Arcs a facilitator locked into the solution.
    usable
        Arcs that can carry their listings' lots and all-or-nothing quantities, and pay their way:
        unless the parameters allow subsidised exchanges, an arc whose known net benefit cannot be
        positive is not usable, and an arc with a link cost must carry at least the quantity whose
        margin pays for the link (folded into the offer's minimum lot on that arc).
    losing
        Arcs left out because each unit carried loses money (transport and treatment exceed the savings).
    link_lot
        Per arc, the quantity at which its margin pays its link cost (0 where none is needed).
    useful
        Arcs worth considering: usable and gaining something, or locked.
    discrete
        Useful arcs that a discrete rule, a lock or a link cost touches (they need the MILP).
    place
        Per listing id, its place on a curve through the map (:func:`symbiosis.geo.z_order_key`):
        a min-cost-flow network numbers its nodes in that order (None: in the order of the arcs).
    """

    arcs: pd.DataFrame
    offer_quantity: pd.Series
    need_quantity: pd.Series
    objective: ArcObjective
    rules: ListingRules
    locked: np.ndarray
    usable: np.ndarray
    losing: np.ndarray
    link_lot: np.ndarray
    useful: np.ndarray
    discrete: np.ndarray
    place: pd.Series | None = None

    @classmethod
    def of(cls, candidates: Candidates, params: SolveParams) -> SolveInputs:
        arcs = candidates.arcs
        objective = ArcObjective.of(arcs, params.objective, params.weights)
        locked = locked_arcs(arcs)
        rules = ListingRules.for_arcs(arcs, candidates.offers, candidates.needs)
        losing, link_lot = viability(arcs)
        if params.allow_subsidised:
            losing, link_lot = np.zeros(len(arcs), bool), np.zeros(len(arcs))
        losing &= ~locked  # a facilitator's lock stands whatever it costs
        link_lot = np.where(locked, 0.0, link_lot)
        upper = arcs["upper"].to_numpy(dtype=float)
        if params.solver in (SolverName.FLOW, SolverName.LP):
            # A forced continuous engine cannot hold an exchange to a least quantity: an arc that cannot
            # pay its link even at full capacity is left out, the others are not held to it.
            unpayable = link_lot > upper * (1 + 1e-9)
        else:
            rules = replace(rules, offer_lot=np.maximum(rules.offer_lot, link_lot))
            unpayable = np.zeros(len(arcs), bool)
        usable = rules.usable(upper, arcs["yield"].to_numpy(dtype=float)) & ~losing & ~unpayable
        useful = (((objective.primary > 0) & (objective.effective > 0)) & usable) | locked
        discrete = (rules.discrete() | locked | (objective.link != 0)) & useful
        return cls(arcs, candidates.offers["quantity_canonical"], candidates.needs["quantity_canonical"],
                   objective, rules, locked, usable, losing, link_lot, useful, discrete, _places(candidates))


    def subset(self, positions: np.ndarray) -> SolveInputs:
        """The inputs of the arcs at ``positions`` alone, with only the arc columns the engines read
        (what one component's engine needs, small to ship)."""
        columns = [c for c in ENGINE_COLUMNS if c in self.arcs]
        arcs = self.arcs[columns].iloc[positions].reset_index(drop=True)
        return SolveInputs(
            arcs, self.offer_quantity.reindex(arcs["offer_id"].unique()),
            self.need_quantity.reindex(arcs["need_id"].unique()), self.objective.subset(positions),
            self.rules.subset(positions), self.locked[positions], self.usable[positions], self.losing[positions],
            self.link_lot[positions], self.useful[positions], self.discrete[positions])


@dataclass(frozen=True)
class ComponentTask:
    """One independent component to solve: its engine and what the engine reads. An LP or MILP
    task carries its arcs' inputs (``time_limit_s`` is a MILP's share of the time budget); a
    min-cost flow task carries only its integer network and each arc's objective gain
    (``primary``), a fraction of the size, so that it is cheap to ship."""

    kind: str
    inputs: SolveInputs | None
    params: SolveParams
    time_limit_s: float | None = None
    network: FlowNetwork | None = None
    primary: np.ndarray | None = None


def _places(candidates: Candidates) -> pd.Series | None:
    """Each offer's and need's :func:`~symbiosis.geo.z_order_key` by listing id (None without coordinates)."""
    tables = [candidates.offers, candidates.needs]
    if not all({"lat", "lon"} <= set(table.columns) for table in tables):
        return None
    lat = np.concatenate([table["lat"].to_numpy(dtype=float) for table in tables])
    lon = np.concatenate([table["lon"].to_numpy(dtype=float) for table in tables])
    place = pd.Series(z_order_key(lat, lon), index=tables[0].index.append(tables[1].index))
    return place[~place.index.duplicated()]  # an id among both offers and needs (hand-built tables): its first


def solve_component(task: ComponentTask) -> EngineRun:
    """Solve one component; the run's positions are those of the task's own arcs."""
    started = time.perf_counter()
    if task.kind == "flow":
        run = _solve_flow(task.network, task.primary)
    elif task.kind == "milp":
        run = _solve_milp(task.inputs, np.arange(len(task.inputs.arcs)), task.params, task.time_limit_s)
    else:
        run = _solve_lp(task.inputs, np.arange(len(task.inputs.arcs)), task.params)
    return replace(run, seconds=time.perf_counter() - started)


def viability(arcs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per arc: whether every unit carried loses money (known margin below zero, or zero with a
    link to pay), and the quantity whose margin pays the yearly link cost (0 where no link cost or
    the margin is unknown)."""
    margin = (arcs["value_eur"] - arcs["transport_cost_eur_per_unit"]).to_numpy(dtype=float)
    link = arcs["link_cost_eur"].to_numpy(dtype=float) if "link_cost_eur" in arcs else np.zeros(len(arcs))
    known = np.isfinite(margin)
    losing = known & ((margin < 0) | ((margin <= 0) & (link > 0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        link_lot = np.where(known & (margin > 0) & (link > 0), link / margin, 0.0)
    return losing, link_lot


def solve(candidates: Candidates, params: SolveParams | None = None, *, run_tasks: RunTasks | None = None,
          milp_budget_s: float | None = None) -> MatchResult:
    """Propose exchanges for a candidate graph.

    ``auto`` solves each independent material component with OR-Tools min-cost flow when its
    yields are consistent, with an OR-Tools LP otherwise, and the components touched by discrete
    rules (minimum lots, partner limits, all or nothing, locks, link costs) together as one MILP.
    ``flow``, ``lp``, ``milp`` and ``greedy`` force one engine. The result's objective is the sum
    of the exchanges' contributions. The independent components are solved by ``run_tasks``
    (default: one after another in this process; :mod:`solvers.distributed` runs them as Dask tasks),
    each discrete component separately with its share of the MILP time limit (``milp_budget_s``
    when given, else :attr:`SolveParams.milp_time_limit_s`).

    Raises
    ------
    InfeasibleError
        When the locks cannot all hold; the message names a smallest conflicting set.
    SolverError
        When a forced engine cannot represent the model.
    """
    params = params or SolveParams()
    started = time.perf_counter()
    inputs = SolveInputs.of(candidates, params)
    if inputs.locked.any():
        _check_locks(inputs, params)
    budget_s = params.milp_time_limit_s if milp_budget_s is None else milp_budget_s
    runs, components = _run_engines(inputs, params, run_tasks, budget_s)
    flows = np.zeros(len(inputs.arcs))
    for run in runs:
        flows[run.positions] = run.flows
    exchanges = as_text(build_exchanges(inputs.arcs, flows, candidates.offers, candidates.needs, inputs.objective))
    objective_value = float(exchanges["objective_contribution"].sum())
    status, bound = _status_and_bound(runs, objective_value)
    gap = relative_gap(bound, objective_value)
    details = {"arcs": int(len(inputs.arcs)), "useful_arcs": int(inputs.useful.sum()), "components": components,
               "engines": [{"engine": r.engine, "status": r.status.value} for r in runs]}
    if any(r.engine.startswith("milp") for r in runs):  # what the MILPs took of the time budget
        details["milp_seconds"] = round(sum(r.seconds for r in runs if r.engine.startswith("milp")), 3)
    if params.solver in (SolverName.FLOW, SolverName.LP) and (inputs.link_lot > 0).any():
        details["relaxed"] = ("a forced continuous engine does not hold exchanges to the quantity that pays "
                              "their link cost; use --solver auto or milp for that")
    def unknown_gain(positions: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Per arc at ``positions``, whether a factor the objective counts is unknown; those factors."""
        table = per_unit_indicators(candidates.arcs.iloc[positions])
        names = [n for n in indicator_weights(params.objective, params.weights) if n in table]
        return table[names].isna().any(axis=1).to_numpy(), names

    unmatched = explain_unmatched(candidates, exchanges, inputs.useful, params.objective.value, usable=inputs.usable,
                                  losing=inputs.losing, link_lot=inputs.link_lot, unknown_gain=unknown_gain)
    return MatchResult(
        status=status, objective=params.objective, objective_value=objective_value, bound=bound, gap=gap,
        solver="+".join(sorted({r.engine for r in runs})) or "none", solve_seconds=time.perf_counter() - started,
        exchanges=exchanges, unmatched=unmatched, details=details,
    )


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its categorical columns (the arcs' integer-coded ids, materials and modes) as
    text: the result tables leave the engine with plain strings."""
    coded = {c: "str" for c in frame if isinstance(frame[c].dtype, pd.CategoricalDtype)}
    return frame.astype(coded) if coded else frame


def run_in_process(tasks: Iterable[ComponentTask]) -> list[EngineRun]:
    """Solve the component tasks one after another in this process (each task's copy of its arcs
    is made only when its turn comes)."""
    return [solve_component(task) for task in tasks]


#: Useful arcs from which, by default, the components are solved in worker processes: at 100,000
#: listings (about 1.5 million) starting them and shipping the networks would cost about what the
#: second core saves, and the workers' memory would come on top.
PARALLEL_MIN_ARCS = 4_000_000
#: Most worker processes the default starts (each holds one component's network and engine at a time).
MAX_AUTO_PROCESSES = 4


#: Kinds of component task that :func:`run_in_processes` solves in the calling process: a MILP's
#: models are the largest in memory, and here they reuse memory the candidate search has freed.
LOCAL_KINDS = frozenset({"milp"})


def run_in_processes(processes: int) -> RunTasks:
    """A runner that solves component tasks side by side on ``processes`` lanes: each lane takes
    the next task when it is free and solves it in its own worker process (``python -m
    solvers.worker``: a fresh interpreter, started at the lane's first such task, so it neither
    inherits this process's memory nor runs the calling program again), or, for the kinds in
    :data:`LOCAL_KINDS`, in this process while the other lanes go on. A task's copy of its arcs is
    made only when a lane takes it; the runs come back in the order of the tasks, and an engine's
    error is raised here."""
    def run(tasks: Iterable[ComponentTask]) -> list[EngineRun]:
        numbered = enumerate(tasks)
        lock = threading.Lock()
        runs: dict[int, EngineRun] = {}
        errors: list[BaseException] = []

        def next_task() -> tuple[int, ComponentTask] | None:
            with lock:
                return None if errors else next(numbered, None)

        def lane() -> None:
            worker = None
            try:
                while (item := next_task()) is not None:
                    index, task = item
                    if task.kind in LOCAL_KINDS:
                        runs[index] = solve_component(task)
                        continue
                    worker = worker or start_worker()
                    send(worker.stdin, task)
                    del task
                    runs[index] = answer_of(worker)
            except BaseException as error:  # noqa: BLE001 - raised in the caller's thread below
                with lock:
                    errors.append(error)
            finally:
                if worker is not None:
                    worker.stdin.close()
                    worker.wait()

        lanes = [threading.Thread(target=lane, name=f"solver-lane-{i}", daemon=True) for i in range(processes)]
        for thread in lanes:
            thread.start()
        for thread in lanes:
            thread.join()
        if errors:
            raise errors[0]
        return [runs[i] for i in range(len(runs))]
    return run


def default_runner(inputs: SolveInputs, params: SolveParams) -> RunTasks:
    """How the components are solved without a runner given: in worker processes when the
    parameters ask for them or, by default, when the useful arcs are many and the machine has more
    than one core (:attr:`SolveParams.processes`); otherwise one after another in this process."""
    if params.processes is not None:
        processes = params.processes
    elif int(inputs.useful.sum()) >= PARALLEL_MIN_ARCS:
        processes = min(usable_cores(), MAX_AUTO_PROCESSES)
    else:
        processes = 1
    return run_in_processes(processes) if processes > 1 else run_in_process


@dataclass(frozen=True)
class ComponentPlan:
    """One independent component and the engine chosen for it: the positions of its arcs among the
    solve's, for a min-cost flow its offer and need scales, and for a MILP its share of the time limit."""

    kind: str
    members: np.ndarray
    offer_scale: np.ndarray | None = None
    need_scale: np.ndarray | None = None
    time_limit_s: float | None = None

    def task(self, inputs: SolveInputs, params: SolveParams) -> ComponentTask:
        """The task that solves it: a min-cost flow's network, or a copy of its arcs' inputs."""
        if self.kind == "flow":
            network = build_flow_network(
                inputs.arcs[["offer_id", "need_id", "upper"]].iloc[self.members], inputs.objective.effective_at(self.members),
                inputs.offer_quantity, inputs.need_quantity, self.offer_scale, self.need_scale, inputs.place,
            )
            return ComponentTask("flow", None, params, network=network, primary=inputs.objective.primary[self.members])
        return ComponentTask(self.kind, inputs.subset(self.members), params, self.time_limit_s)


def plan_components(inputs: SolveInputs, params: SolveParams,
                    milp_budget_s: float | None = None) -> tuple[list[ComponentPlan], dict[str, int]]:
    """The useful arcs' independent material components with their engines (min-cost flow where the
    yields are consistent, an LP otherwise or when asked, the MILP where a discrete rule applies), and
    how many components each engine takes. The MILP components share ``milp_budget_s`` (default
    :attr:`SolveParams.milp_time_limit_s`) in proportion to their arcs.

    Raises
    ------
    SolverError
        When ``flow`` is forced on a component whose yields it cannot represent.
    """
    idx = np.flatnonzero(inputs.useful)
    comps = find_material_components(inputs.arcs[["material", "need_material", "yield"]].iloc[idx])
    plans: list[ComponentPlan] = []
    counts: dict[str, int] = {}
    for number, consistent in comps.consistent.items():
        local = np.flatnonzero(comps.label == number)
        members = idx[local]
        if inputs.discrete[members].any():
            plan = ComponentPlan("milp", members)
        elif params.solver is SolverName.LP or not consistent:
            if params.solver is SolverName.FLOW:
                materials = sorted(set(inputs.arcs["material"].iloc[members]))
                raise SolverError(
                    "min-cost flow cannot represent the yields of materials "
                    f"{', '.join(materials[:5])}: use --solver lp or auto"
                )
            plan = ComponentPlan("lp", members)
        else:
            plan = ComponentPlan("flow", members, comps.offer_scale[local], comps.need_scale[local])
        plans.append(plan)
        counts[plan.kind] = counts.get(plan.kind, 0) + 1
    milp_arcs = sum(len(p.members) for p in plans if p.kind == "milp")
    budget_s = params.milp_time_limit_s if milp_budget_s is None else milp_budget_s
    plans = [replace(p, time_limit_s=budget_s * len(p.members) / milp_arcs) if p.kind == "milp"
             else p for p in plans]
    return plans, counts


def _run_engines(inputs: SolveInputs, params: SolveParams, run_tasks: RunTasks | None,
                 budget_s: float) -> tuple[list[EngineRun], dict[str, int]]:
    """Run the engines the parameters ask for; return their runs and how many components each took.
    Without ``run_tasks``, :func:`default_runner`'s, except that a single component is solved in
    this process unless the parameters ask for processes (a worker would only wait for it)."""
    if params.solver is SolverName.GREEDY:
        return [_solve_greedy(inputs, np.flatnonzero(inputs.useful))], {}
    if params.solver is SolverName.MILP:
        started = time.perf_counter()
        run = _solve_milp(inputs, np.flatnonzero(inputs.useful), params, budget_s)
        return [replace(run, seconds=time.perf_counter() - started)], {"milp": 1}
    if params.solver in (SolverName.FLOW, SolverName.LP) and inputs.discrete.any():
        raise SolverError(
            "minimum lots, partner limits, all-or-nothing listings, locks and link costs need the MILP: "
            "use --solver milp or auto"
        )
    plans, counts = plan_components(inputs, params, budget_s)
    if run_tasks is None:
        alone = len(plans) < 2 and params.processes is None
        run_tasks = run_in_process if alone else default_runner(inputs, params)
    # The MILP components first (they run until their gap or time limit, the longest tasks), then
    # the largest first, so that parallel workers finish together.
    order = sorted(range(len(plans)), key=lambda i: (plans[i].kind != "milp", -len(plans[i].members)))
    runs = run_tasks(plans[i].task(inputs, params) for i in order)
    results = [None] * len(plans)
    for i, run in zip(order, runs):
        results[i] = replace(run, positions=plans[i].members[run.positions])
    return results, counts


def _status_and_bound(runs: list[EngineRun], objective_value: float) -> tuple[Status, float]:
    """The solve's status and its bound on the primary objective, from its engine runs."""
    status = worst_status(r.status for r in runs)
    bounds = [r.bound for r in runs]
    if not runs or (status is Status.OPTIMAL and all(r.engine != "milp" for r in runs)):
        return status, objective_value
    if any(not np.isfinite(b) for b in bounds):
        return status, float("nan")
    return status, float(sum(bounds))


def _solve_greedy(inputs: SolveInputs, members: np.ndarray) -> EngineRun:
    flows = solve_greedy(
        inputs.arcs.iloc[members], inputs.objective.effective_at(members), inputs.offer_quantity, inputs.need_quantity,
        link_weights=inputs.objective.link[members], rules=inputs.rules.subset(members),
        locked=inputs.locked[members],
    )
    return EngineRun("greedy", Status.FEASIBLE, members, flows, float("nan"), float("nan"))


def _solve_flow(network: FlowNetwork, primary: np.ndarray) -> EngineRun:
    """Solve a component's min-cost-flow network; ``primary`` is each candidate arc's gain."""
    optimal, net_flows = solve_flow_network(network)
    if not optimal:
        raise SolverError("OR-Tools min-cost flow did not find an optimal flow")
    flows = flows_to_arcs(network, net_flows, len(primary))
    value = float(np.dot(primary, flows))
    return EngineRun("flow", Status.OPTIMAL, np.arange(len(primary)), flows, value, value)


def _solve_lp(inputs: SolveInputs, members: np.ndarray, params: SolveParams) -> EngineRun:
    model = build_linear_model(inputs.arcs.iloc[members], inputs.objective.effective_at(members),
                               inputs.offer_quantity, inputs.need_quantity)
    solution = solve_linear_model(model, params.lp_engine, params.time_limit_s)
    if not np.isfinite(solution.objective):
        raise SolverError(f"the LP engine {params.lp_engine} stopped with status {solution.status}")
    value = float(np.dot(inputs.objective.primary[members], solution.flows))
    # The LP bound is on the tie-broken objective; the tie-break term is tiny next to it.
    bound = value + max(solution.bound - solution.objective, 0.0)
    status = Status.OPTIMAL if solution.optimal else Status.FEASIBLE
    return EngineRun(params.lp_engine, status, members, solution.flows, value, bound)


def _solve_milp(inputs: SolveInputs, members: np.ndarray, params: SolveParams,
                time_limit_s: float | None = None) -> EngineRun:
    started = time.perf_counter()
    limit_s = params.milp_time_limit_s if time_limit_s is None else time_limit_s
    sub = inputs.arcs.iloc[members]
    objective = inputs.objective.subset(members)
    rules = inputs.rules.subset(members)
    if len(members) > params.milp_full_up_to_arcs and params.relative_gap > 0:
        run = _solve_milp_decomposed(sub, objective, rules, members, params, limit_s)
        return _greedy_fallback(inputs, run) if run.status is Status.NOT_SOLVED else run
    model = build_milp(sub, objective.effective, objective.link, rules)
    start, relaxed_bound = _best_start(model, inputs, members, params)
    # Building and the warm start count against the time limit too.
    limit = max(limit_s - (time.perf_counter() - started), 1.0)
    solution = solve_milp(model, params, start, time_limit_s=limit)
    if not solution.has_solution:
        return _greedy_fallback(inputs, _no_milp_solution(members, solution.status == "infeasible", relaxed_bound))
    value = _milp_value(objective, solution.flows)
    bound = value + max(min(solution.bound, relaxed_bound) - solution.objective, 0.0)
    status = Status.OPTIMAL if solution.optimal else Status.FEASIBLE
    return EngineRun("milp", status, members, solution.flows, value, bound)


def _solve_milp_decomposed(sub: pd.DataFrame, objective: ArcObjective, rules: ListingRules, members: np.ndarray,
                           params: SolveParams, limit_s: float) -> EngineRun:
    """A large discrete component: LP-support reduction and relax-fix-resolve, bounded by its LP relaxation."""
    outcome = solve_decomposed(sub, objective, rules, params, limit_s)
    if not outcome.has_solution:
        return _no_milp_solution(members, outcome.infeasible, outcome.relaxed_bound)
    value = _milp_value(objective, outcome.flows)
    bound = value + max(outcome.relaxed_bound - outcome.model_objective, 0.0)
    gap = (bound - value) / max(abs(bound), 1e-9)
    status = Status.OPTIMAL if gap <= params.relative_gap else Status.FEASIBLE
    return EngineRun("milp", status, members, outcome.flows, value, bound)


def _no_milp_solution(members: np.ndarray, infeasible: bool, bound: float = float("nan")) -> EngineRun:
    """The run of a MILP that found no solution (with the bound it had, if any); raise if it proved
    there is none."""
    if infeasible:
        raise InfeasibleError("the exchange rules and locks admit no solution")
    bound = bound if np.isfinite(bound) else float("nan")
    return EngineRun("milp", Status.NOT_SOLVED, members, np.zeros(len(members)), float("nan"), bound)


def _greedy_fallback(inputs: SolveInputs, run: EngineRun) -> EngineRun:
    """A component whose MILP found no solution within its time: the greedy exchanges, which keep
    every rule, rather than none; the MILP's bound (if it had one) still bounds the component."""
    greedy = _solve_greedy(inputs, run.positions)
    value = _milp_value(inputs.objective.subset(run.positions), greedy.flows)
    if value <= 0 and not inputs.locked[run.positions].any():
        return run
    return EngineRun("milp+greedy", Status.FEASIBLE, run.positions, greedy.flows, value, run.bound)


def _milp_value(objective: ArcObjective, flows: np.ndarray) -> float:
    """The primary objective of a MILP's flows (link costs paid on the arcs established)."""
    return float(objective.contribution(flows, flows > EXCHANGE_MIN_QUANTITY).sum())


def _best_start(model, inputs: SolveInputs, members: np.ndarray, params: SolveParams) -> tuple[np.ndarray | None, float]:
    """Warm start: the better of the greedy solution and the LP relaxation's solution repaired to
    respect the discrete rules, among those that satisfy every constraint of the model; and the
    LP relaxation's optimum, an upper bound of the MILP whatever the engine reports."""
    relaxed, bound = solve_relaxation(model, params.lp_engine, params.time_limit_s)
    bound = bound if np.isfinite(bound) else float("inf")
    greedy = _solve_greedy(inputs, members).flows
    best, best_value = None, -np.inf
    for flows in (repair_for_rules(relaxed, inputs.arcs.iloc[members], inputs.rules.subset(members)), greedy):
        start, value = feasible_start(model, flows)
        if value > best_value:
            best, best_value = start, value
    return best, bound


def _check_locks(inputs: SolveInputs, params: SolveParams) -> None:
    """Raise InfeasibleError naming a smallest set of locks that cannot hold together.

    Only the locked arcs and their listings' rules decide this, so a model with just those arcs
    (objective zero) is solved, and a deletion filter shrinks the set to an irreducible conflict.
    """
    arcs, rules = inputs.arcs, inputs.rules
    positions = np.flatnonzero(inputs.locked)
    exact = replace(params, milp_engine="scip", relative_gap=0.0)

    def feasible(subset: np.ndarray) -> bool:
        model = build_milp(arcs.iloc[subset], np.zeros(len(subset)), np.zeros(len(subset)), rules.subset(subset),
                           binaries=np.ones(len(subset), bool))
        return solve_milp(model, exact, time_limit_s=params.time_limit_s).has_solution

    lonely = [p for p in positions if not inputs.usable[p] or not feasible(np.array([p]))]
    if lonely:
        raise InfeasibleError("lock(s) that cannot hold on their own: " + "; ".join(_describe(arcs, p, rules) for p in lonely))
    if feasible(positions):
        return
    conflict = list(positions)
    for p in list(conflict):
        trial = [q for q in conflict if q != p]
        if trial and not feasible(np.array(trial)):
            conflict = trial
    raise InfeasibleError("these locks conflict: " + "; ".join(_describe(arcs, p, rules) for p in conflict))


def _describe(arcs: pd.DataFrame, p: int, rules: ListingRules) -> str:
    row = arcs.iloc[p]
    text = f"{row['offer_id']} -> {row['need_id']} (min {row['lock_min']:g}, at most {row['upper']:g} possible"
    if rules.offer_lot[p] or rules.need_lot[p]:
        text += f", lots {rules.offer_lot[p]:g}/{rules.need_lot[p]:g}"
    return text + ")"
