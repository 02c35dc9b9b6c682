"""SolveParams, CandidateParams and match() refuse bad parameters with an error that names the
parameter, the value given and what is allowed; names are read regardless of case."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from solvers import CandidateParams, SolveParams, match
from solvers.params import MAX_ENGINE_INT, MAX_PARALLEL, SolverName
from symbiosis.data import dataset_path
from symbiosis.directives import Weights
from symbiosis.objective import Objective


def kalundborg_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    read = lambda name: pd.read_csv(dataset_path(f"kalundborg/{name}.csv"), dtype=str, keep_default_na=False)  # noqa: E731
    return read("companies"), read("listings")


def raised(error: type[Exception], build) -> str:
    with pytest.raises(error) as caught:
        build()
    return str(caught.value)


# --- names (enum-like fields) -------------------------------------------------------------------

def test_names_are_read_regardless_of_case_and_surrounding_spaces():
    params = SolveParams(objective=" CO2 ", solver="MILP", lp_engine="GLOP", milp_engine=" HiGHS")
    assert params.objective is Objective.CO2
    assert params.solver is SolverName.MILP
    assert (params.lp_engine, params.milp_engine) == ("glop", "highs")
    assert SolveParams(objective=Objective.VALUE, solver=SolverName.GREEDY).objective is Objective.VALUE


@pytest.mark.parametrize(("field", "value", "allowed"), [
    ("objective", "c02", ("'diverted'", "'co2'", "'value'")),
    ("solver", "mlp", ("'auto'", "'flow'", "'lp'", "'milp'", "'greedy'")),
    ("lp_engine", "simplex", ("'glop'",)),
    ("milp_engine", "gurobi", ("'scip'", "'highs'")),
])
def test_an_unknown_name_is_refused_with_the_allowed_names(field, value, allowed):
    message = raised(ValueError, lambda: SolveParams(**{field: value}))
    assert f"SolveParams.{field}" in message and repr(value) in message
    assert all(name in message for name in allowed)


@pytest.mark.parametrize(("field", "value"), [
    ("objective", 1), ("objective", None), ("solver", 2.5), ("lp_engine", None), ("milp_engine", ["scip"]),
])
def test_a_name_of_another_type_is_a_type_error_with_the_allowed_names(field, value):
    message = raised(TypeError, lambda: SolveParams(**{field: value}))
    assert f"SolveParams.{field}" in message and repr(value) in message and "must be one of" in message


# --- SolveParams numbers, flags and weights -----------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [
    ("time_limit_s", "10"), ("time_limit_s", True),
    ("relative_gap", "0.01"), ("relative_gap", None),
    ("workers", 2.5), ("workers", 2.0), ("workers", True), ("workers", "2"),
    ("seed", "a"), ("seed", 1.0), ("seed", False),
    ("allow_subsidised", "no"), ("allow_subsidised", 1), ("allow_subsidised", None),
    ("milp_full_up_to_arcs", 2000.0), ("milp_full_up_to_arcs", None),
    ("scip_root_separation_rounds", "3"),
    ("processes", 2.0), ("processes", True),
    ("priced_relaxation_from_arcs", "1"),
    ("weights", {"co2e_t": 1.0}),
])
def test_a_field_of_the_wrong_type_is_a_type_error_naming_it_and_the_value(field, value):
    message = raised(TypeError, lambda: SolveParams(**{field: value}))
    assert f"SolveParams.{field}" in message and repr(value) in message and "must be" in message


@pytest.mark.parametrize(("field", "value"), [
    ("time_limit_s", -1), ("time_limit_s", 0), ("time_limit_s", float("nan")), ("time_limit_s", float("inf")),
    ("relative_gap", -0.1), ("relative_gap", 1), ("relative_gap", float("nan")),
    ("workers", 0), ("workers", MAX_PARALLEL + 1),
    ("seed", -1), ("seed", MAX_ENGINE_INT + 1),
    ("milp_full_up_to_arcs", -1),
    ("scip_root_separation_rounds", -1), ("scip_root_separation_rounds", MAX_ENGINE_INT + 1),
    ("processes", 0), ("processes", MAX_PARALLEL + 1),
    ("priced_relaxation_from_arcs", 0),
])
def test_a_field_out_of_range_is_a_value_error_naming_it_the_value_and_the_range(field, value):
    message = raised(ValueError, lambda: SolveParams(**{field: value}))
    assert f"SolveParams.{field}" in message and repr(value) in message and "must be" in message


def test_the_limits_themselves_and_numpy_numbers_are_accepted_as_plain_numbers():
    params = SolveParams(time_limit_s=np.int64(20), relative_gap=np.float32(0.0), workers=np.int32(MAX_PARALLEL),
                         seed=np.int64(MAX_ENGINE_INT), milp_full_up_to_arcs=0, scip_root_separation_rounds=0,
                         processes=MAX_PARALLEL, priced_relaxation_from_arcs=1, allow_subsidised=True,
                         weights=Weights(indicators={"co2e_t": 1.0}))
    assert type(params.time_limit_s) is float and params.time_limit_s == 20.0
    assert type(params.relative_gap) is float and params.relative_gap == 0.0
    assert type(params.workers) is int and type(params.seed) is int and params.seed == MAX_ENGINE_INT
    assert "randomization/randomseedshift = 2147483647" in params.scip_parameters()


def test_replace_checks_the_new_values_too():
    with pytest.raises(ValueError, match="SolveParams.seed"):
        replace(SolveParams(), seed=-1)
    with pytest.raises(ValueError, match="SolveParams.objective"):
        replace(SolveParams(), objective="c02")


# --- CandidateParams ----------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [
    ("max_candidates", "10"), ("max_candidates", 2.0), ("max_candidates", True), ("max_candidates", None),
    ("tile_size", "250000"), ("tile_size", 1e5),
    ("check_availability", "no"), ("check_availability", 1), ("check_availability", None),
])
def test_a_candidate_field_of_the_wrong_type_is_a_type_error_naming_it_and_the_value(field, value):
    message = raised(TypeError, lambda: CandidateParams(**{field: value}))
    assert f"CandidateParams.{field}" in message and repr(value) in message and "must be" in message


@pytest.mark.parametrize(("field", "value"), [
    ("max_candidates", 0), ("max_candidates", -1), ("tile_size", 0), ("tile_size", -5),
])
def test_a_candidate_count_below_one_is_a_value_error_naming_it_and_the_value(field, value):
    message = raised(ValueError, lambda: CandidateParams(**{field: value}))
    assert f"CandidateParams.{field}" in message and repr(value) in message and "at least 1" in message


def test_candidate_counts_may_be_numpy_integers_and_become_plain_ints():
    params = CandidateParams(max_candidates=np.int64(3), tile_size=np.int32(1), check_availability=False)
    assert (params.max_candidates, params.tile_size) == (3, 1)
    assert type(params.max_candidates) is int and type(params.tile_size) is int


# --- match() ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("argument", "value", "kind"), [
    ("solve_params", {"objective": "co2"}, "SolveParams"),
    ("candidate_params", {"max_candidates": 5}, "CandidateParams"),
    ("solve_params", CandidateParams(), "SolveParams"),
    ("candidate_params", SolveParams(), "CandidateParams"),
])
def test_match_refuses_parameters_that_are_not_the_params_objects(argument, value, kind):
    companies, listings = kalundborg_frames()
    message = raised(TypeError, lambda: match(companies, listings, **{argument: value}))
    assert argument in message and f"{kind}(" in message and type(value).__name__ in message
    if isinstance(value, dict):
        assert f"{kind}(**options)" in message


@pytest.mark.parametrize(("argument", "value"), [
    ("in_parts", "no"), ("weights", {"co2e_t": 1.0}), ("directives", [("lock", "O1", "N1")]),
])
def test_match_refuses_other_arguments_of_the_wrong_type(argument, value):
    companies, listings = kalundborg_frames()
    message = raised(TypeError, lambda: match(companies, listings, **{argument: value}))
    assert f"match() {argument}" in message and type(value).__name__ in message


def test_a_name_in_another_case_solves_as_the_lower_case_name():
    companies, listings = kalundborg_frames()
    upper = match(companies, listings, solve_params=SolveParams(objective="CO2 "))
    lower = match(companies, listings, solve_params=SolveParams(objective="co2"))
    assert upper.result.objective == Objective.CO2
    pd.testing.assert_frame_equal(upper.exchanges, lower.exchanges)
