"""The Dask path: on a LocalCluster of two worker processes the same input gives the same
candidate arcs and the same exchanges as in process; spatial tiles change nothing."""

import pandas as pd
import pytest
from distributed import Client, LocalCluster

from solvers import match
from solvers.params import SolveParams
from symbiosis.candidates import CandidateParams
from symbiosis.synthetic import generate_region


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1GiB",
                      dashboard_address=None, host="127.0.0.1") as cluster, Client(cluster) as c:
        yield c


@pytest.mark.parametrize("objective", ["diverted", "value"])
def test_a_local_cluster_gives_the_exchanges_of_the_in_process_path(client, objective):
    companies, listings = generate_region(n_listings=1000, seed=3)
    params = SolveParams(objective=objective)
    here = match(companies, listings, solve_params=params)
    # Small tiles, so that large groups are split across tasks too.
    there = match(companies, listings, solve_params=params, candidate_params=CandidateParams(tile_size=40),
                  scheduler=client)
    pd.testing.assert_frame_equal(here.candidates.arcs, there.candidates.arcs)
    pd.testing.assert_frame_equal(here.exchanges, there.exchanges)
    pd.testing.assert_frame_equal(here.unmatched, there.unmatched)
    assert there.result.objective_value == here.result.objective_value
    assert there.parameters["scheduler"] is not None


def test_spatial_tiles_give_the_same_arcs_in_process():
    companies, listings = generate_region(n_listings=800, seed=4)
    whole = match(companies, listings)
    tiled = match(companies, listings, candidate_params=CandidateParams(tile_size=25))
    pd.testing.assert_frame_equal(whole.candidates.arcs, tiled.candidates.arcs)


def test_a_run_in_parts_on_a_local_cluster_gives_the_exchanges_of_one_in_process(client):
    companies, listings = generate_region(n_listings=1000, seed=6)
    here = match(companies, listings, in_parts=True)
    there = match(companies, listings, in_parts=True, scheduler=client)
    pd.testing.assert_frame_equal(here.exchanges, there.exchanges)
    pd.testing.assert_frame_equal(here.unmatched, there.unmatched)
    assert there.result.details["parts"] == here.result.details["parts"] > 1
    at_once = match(companies, listings)
    key = ["offer_id", "need_id"]
    pd.testing.assert_frame_equal(at_once.exchanges.sort_values(key).reset_index(drop=True),
                                  there.exchanges.sort_values(key).reset_index(drop=True))
