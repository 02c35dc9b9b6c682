"""The one match(): DataFrames or a registry in, exchanges, unmatched, summary and the candidate graph out."""

import networkx as nx
import pandas as pd
import pytest

from solvers import CandidateParams, Match, SolveParams, match
from symbiosis.data import dataset_path
from symbiosis.errors import InputError
from symbiosis.registry import read_registry
from symbiosis.schema import EXCHANGE_COLUMNS


def kalundborg_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    read = lambda name: pd.read_csv(dataset_path(f"kalundborg/{name}.csv"), dtype=str, keep_default_na=False)  # noqa: E731
    return read("companies"), read("listings")


def test_match_takes_dataframes_and_returns_every_part_of_the_result():
    companies, listings = kalundborg_frames()
    result = match(companies, listings)
    assert isinstance(result, Match)
    assert list(result.exchanges.columns[: len(EXCHANGE_COLUMNS)]) == list(EXCHANGE_COLUMNS)
    assert len(result.exchanges) > 0 and len(result.unmatched) > 0
    assert result.summary["counts"]["exchanges"] == len(result.exchanges)
    assert result.summary["objective"]["value"] == pytest.approx(result.exchanges["objective_contribution"].sum())
    graph = result.graph()
    assert isinstance(graph, nx.DiGraph)
    assert graph.number_of_edges() == len(result.candidates.arcs)
    assert all(graph.has_edge(o, n) for o, n in zip(result.exchanges["offer_id"], result.exchanges["need_id"]))


def test_match_of_a_registry_equals_match_of_its_tables():
    companies, listings = kalundborg_frames()
    registry = read_registry(companies=dataset_path("kalundborg/companies.csv"),
                             listings=dataset_path("kalundborg/listings.csv"))
    from_tables = match(companies, listings, solve_params=SolveParams(objective="co2"))
    from_registry = match(registry=registry, solve_params=SolveParams(objective="co2"))
    assert from_tables.result.objective_value == pytest.approx(from_registry.result.objective_value, rel=1e-9)
    pd.testing.assert_frame_equal(from_tables.exchanges, from_registry.exchanges)


def test_match_uses_the_one_set_of_defaults():
    companies, listings = kalundborg_frames()
    result = match(companies, listings)
    assert result.parameters["max_candidates"] == CandidateParams().max_candidates
    assert result.parameters["objective"] == SolveParams().objective.value


def test_match_validates_dataframes_and_reports_every_problem():
    companies, listings = kalundborg_frames()
    listings.loc[0, "quantity"] = "-5"
    with pytest.raises(InputError) as caught:
        match(companies, listings)
    assert any(p.column == "quantity" and p.row == 2 for p in caught.value.problems)


def test_match_needs_tables_or_a_registry():
    with pytest.raises(TypeError):
        match()
