"""Linear programme (OR-Tools model_builder, GLOP or PDLP) for components with mixed yields.

maximise   sum_a w_a x_a
subject to sum_{a out of o} x_a          <= supply_o   for every offer o
           sum_{a into n}  yield_a * x_a <= demand_n   for every need n
           0 <= x_a <= upper_a
The model is filled from sparse arrays in one call, with no Python loop per arc.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder as mb


@dataclass(frozen=True)
class LinearModel:
    """The LP as built, so it can be inspected or exported before solving."""

    model: mb.Model
    offer_ids: pd.Index
    need_ids: pd.Index


@dataclass(frozen=True)
class LinearSolution:
    """Outcome of one LP solve: flows per arc and duals per listing (value of one more unit)."""

    status: str
    optimal: bool
    objective: float
    bound: float
    flows: np.ndarray
    offer_duals: pd.Series
    need_duals: pd.Series
    seconds: float


def build_linear_model(
    arcs: pd.DataFrame, weights: np.ndarray, offer_quantity: pd.Series, need_quantity: pd.Series
) -> LinearModel:
    """Build the LP for ``arcs`` (``offer_id``, ``need_id``, ``yield``, ``upper``)."""
    offer_codes, offer_ids = pd.factorize(arcs["offer_id"])
    need_codes, need_ids = pd.factorize(arcs["need_id"])
    n_arcs, n_offers = len(arcs), len(offer_ids)
    rows = np.concatenate([offer_codes, n_offers + need_codes])
    cols = np.concatenate([np.arange(n_arcs), np.arange(n_arcs)])
    values = np.concatenate([np.ones(n_arcs), arcs["yield"].to_numpy(dtype=float)])
    matrix = sp.csr_matrix((values, (rows, cols)), shape=(n_offers + len(need_ids), n_arcs))
    upper_rows = np.concatenate([
        offer_quantity.reindex(offer_ids).to_numpy(dtype=float),
        need_quantity.reindex(need_ids).to_numpy(dtype=float),
    ])
    model = mb.Model()
    model.helper.fill_model_from_sparse_data(
        np.zeros(n_arcs), arcs["upper"].to_numpy(dtype=float), np.asarray(weights, dtype=float),
        np.full(len(upper_rows), -np.inf), upper_rows, matrix,
    )
    model.helper.set_maximize(True)
    return LinearModel(model=model, offer_ids=pd.Index(offer_ids), need_ids=pd.Index(need_ids))


def variable_values(solver: mb.Solver, model: mb.Model) -> np.ndarray:
    """Every variable's value after a solve, in the model's order: as one array from the solver's
    response (a Python object per variable would take seconds and memory at millions of
    variables), through the public accessor where that is not available."""
    return _whole_array(solver, "variable_values", model.num_variables,
                        lambda: solver.values(model.get_variables()))


def constraint_duals(solver: mb.Solver, model: mb.Model) -> np.ndarray:
    """Every constraint's dual value after a solve, in the model's order (as :func:`variable_values`)."""
    return _whole_array(solver, "dual_values", model.num_constraints,
                        lambda: solver.dual_values(model.get_linear_constraints()))


def _whole_array(solver: mb.Solver, name: str, size: int, public) -> np.ndarray:
    """The solve helper's ``name()`` array when it has ``size`` entries, else ``public()``'s."""
    helper = getattr(solver, "_Solver__solve_helper", None)
    values = getattr(helper, name)() if hasattr(helper, name) else None
    if values is None or len(values) != size:
        values = public().to_numpy()
    return np.asarray(values, dtype=float)


def solve_linear_model(lm: LinearModel, engine: str = "glop", time_limit_s: float | None = None) -> LinearSolution:
    """Solve the LP with an OR-Tools engine and extract flows and duals."""
    solver = mb.Solver(engine)
    if not solver.solver_is_supported():
        raise RuntimeError(f"the OR-Tools LP engine {engine!r} is not available")
    if time_limit_s is not None:
        solver.set_time_limit_in_seconds(time_limit_s)
    status = solver.solve(lm.model)
    optimal = status == mb.SolveStatus.OPTIMAL
    feasible = optimal or status == mb.SolveStatus.FEASIBLE
    n = lm.model.num_variables
    if feasible and n:
        flows = np.clip(variable_values(solver, lm.model), 0.0, None)
        duals = constraint_duals(solver, lm.model)
        # GLOP and PDLP report no dual bound of their own: at optimum the bound is the objective.
        objective = solver.objective_value
        bound = objective if optimal else float("nan")
    else:
        flows, duals = np.zeros(n), np.full(len(lm.offer_ids) + len(lm.need_ids), np.nan)
        objective = bound = float("nan") if n else 0.0
    k = len(lm.offer_ids)
    return LinearSolution(
        status=status.name.lower(), optimal=optimal or n == 0, objective=objective, bound=bound,
        flows=flows, offer_duals=pd.Series(duals[:k], index=lm.offer_ids),
        need_duals=pd.Series(duals[k:], index=lm.need_ids), seconds=solver.wall_time,
    )
