"""The LP engine's interface: whole-array values and duals."""

import numpy as np
import pytest
from ortools.linear_solver.python import model_builder as mb

from solvers.lp import build_linear_model, constraint_duals, variable_values
from tests.helpers import random_instance


def _model(seed: int):
    cands = random_instance(seed, n_listings=120)
    arcs = cands.arcs
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, len(arcs))
    return build_linear_model(arcs, weights, cands.offers["quantity_canonical"], cands.needs["quantity_canonical"])


@pytest.mark.parametrize("seed", [0, 1])
def test_whole_array_values_and_duals_are_those_of_each_variable_and_constraint(seed):
    lm = _model(seed)
    solver = mb.Solver("glop")
    assert solver.solve(lm.model) == mb.SolveStatus.OPTIMAL
    values = variable_values(solver, lm.model)
    assert len(values) == lm.model.num_variables and values.max() > 0
    np.testing.assert_array_equal(values, solver.values(lm.model.get_variables()).to_numpy())
    np.testing.assert_array_equal(constraint_duals(solver, lm.model),
                                  solver.dual_values(lm.model.get_linear_constraints()).to_numpy())
