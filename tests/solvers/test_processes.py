"""Independent components solved in worker processes give what one process gives."""

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import solvers.solve as solve_module
from solvers.matching import match
from solvers.params import SolveParams
from solvers.solve import ComponentTask, SolveInputs, default_runner, run_in_process, run_in_processes
from symbiosis.candidates import build_candidates
from symbiosis.registry import validate_tables
from symbiosis.synthetic import generate_region


@pytest.fixture(scope="module")
def region():
    return validate_tables(*generate_region(n_listings=1500, seed=3))


def test_worker_processes_give_the_exchanges_of_one_process(region):
    alone = match(registry=region, solve_params=SolveParams(processes=1)).result
    side_by_side = match(registry=region, solve_params=SolveParams(processes=2)).result
    assert "flow" in alone.solver and "milp" in alone.solver  # flows in the workers, the MILP in this process
    assert len(alone.details["engines"]) > 2
    pd.testing.assert_frame_equal(alone.exchanges, side_by_side.exchanges)
    assert side_by_side.objective_value == alone.objective_value
    assert side_by_side.details["engines"] == alone.details["engines"]


def test_the_default_uses_processes_only_from_many_useful_arcs(region, monkeypatch):
    inputs = SolveInputs.of(build_candidates(region), SolveParams())
    assert default_runner(inputs, SolveParams()) is run_in_process
    assert default_runner(inputs, SolveParams(processes=1)) is run_in_process
    assert default_runner(inputs, SolveParams(processes=2)) is not run_in_process
    monkeypatch.setattr(solve_module, "PARALLEL_MIN_ARCS", int(inputs.useful.sum()))
    assert (default_runner(inputs, SolveParams()) is run_in_process) == (solve_module.usable_cores() < 2)


def test_an_error_in_a_worker_is_raised_in_the_caller(region):
    inputs = SolveInputs.of(build_candidates(region), SolveParams())
    members = np.flatnonzero(inputs.useful)[:10]
    broken = ComponentTask("flow", inputs.subset(members), SolveParams())  # a flow task without its network
    with pytest.raises(AttributeError):
        run_in_processes(2)([broken])


def test_processes_must_be_at_least_one():
    with pytest.raises(ValueError, match="processes"):
        SolveParams(processes=0)


def test_a_program_without_a_main_guard_is_not_run_again_by_the_workers(tmp_path):
    """A program read from standard input (no file, no ``__main__`` guard) matches with workers:
    they are fresh interpreters that import the engine, not the program."""
    program = textwrap.dedent("""
        from solvers.matching import match
        from solvers.params import SolveParams
        from symbiosis.registry import validate_tables
        from symbiosis.synthetic import generate_region
        result = match(registry=validate_tables(*generate_region(n_listings=300, seed=1)),
                       solve_params=SolveParams(processes=2)).result
        print("exchanges", len(result.exchanges))
    """)
    done = subprocess.run([sys.executable, "-"], input=program, capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("exchanges") == 1


def test_a_single_component_is_solved_in_this_process_by_default(monkeypatch):
    from symbiosis.parts import independent_parts, registry_part

    region = validate_tables(*generate_region(n_listings=1500, seed=3))
    part = registry_part(region, independent_parts(region)[0])  # one material component
    started = []
    monkeypatch.setattr(solve_module, "PARALLEL_MIN_ARCS", 1)  # many useful arcs, as far as the default knows
    monkeypatch.setattr(solve_module, "start_worker", lambda: started.append(1) or pytest.fail("worker started"))
    result = match(registry=part)
    assert result.result.details["components"] == {"flow": 1} and not started  # a flow would go to a worker
