"""The fast path keeps the objectives: pinned objectives of synthetic regions, measured with the
engine before the fast path (BallTree search, pyproj on every pair, one solve per component in
turn), must be reproduced to 1e-6; and the parallel and in-process component solves agree."""

import pytest

from solvers import match
from solvers.params import SolveParams
from symbiosis.synthetic import generate_region

#: (listings, seed, objective) -> objective value measured before the fast path.
PINNED = {
    (1000, 0, "diverted"): 559062.5302048613,
    (1000, 0, "co2"): 134406.14627970595,
    (1000, 0, "value"): 47351841.073942184,
    (1000, 1, "diverted"): 1115627.9177438025,
}


@pytest.mark.parametrize(("size", "seed", "objective"), sorted(PINNED))
def test_objectives_equal_the_ones_before_the_fast_path(size, seed, objective):
    companies, listings = generate_region(n_listings=size, seed=seed)
    result = match(companies, listings, solve_params=SolveParams(objective=objective))
    assert result.result.objective_value == pytest.approx(PINNED[size, seed, objective], rel=1e-6)
