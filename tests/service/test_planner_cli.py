"""The planner's commands end to end on the bundled Kalundborg data."""

import json

import networkx as nx
import pandas as pd
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


def test_analyse_writes_every_file_and_prints_the_keystones(tmp_path):
    out = tmp_path / "analysis"
    result = runner.invoke(app, ["analyse", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Keystone companies" in result.output and "asnaes" in result.output
    for name in ("network.csv", "aggregates_municipality.csv", "aggregates_branch.csv", "aggregates_material.csv",
                 "unmatched_supply.csv", "marginal_values.csv", "network.geojson", "network.graphml"):
        assert (out / name).is_file(), name
    network = pd.read_csv(out / "network.csv", index_col="company_id")
    assert network["rank"].tolist() == list(range(1, len(network) + 1))
    assert network.loc["asnaes", "rank"] == 1 and network.loc["asnaes", "component"] == 1
    graph = nx.read_graphml(out / "network.graphml")
    assert set(graph.nodes) == set(network.index)
    collection = json.loads((out / "network.geojson").read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    lines = sum(f["geometry"]["type"] == "LineString" for f in collection["features"])
    material = pd.read_csv(out / "aggregates_material.csv", dtype={"material": str})
    assert lines == material["exchanges"].sum() > 20  # one line per exchange of the demo


def _demo():
    """The demo's own match, to compare the planner commands with."""
    from service.files import kalundborg_paths, match_files

    paths = kalundborg_paths()
    return match_files(companies=paths["companies"], listings=paths["listings"]).match


def test_resilience_reports_lost_exchanges_and_recovery():
    from symbiosis.schema import diverted_tonnes

    exchanges = _demo().exchanges
    lost = exchanges[(exchanges["supplier_id"] == "gyproc") | (exchanges["receiver_id"] == "gyproc")]
    result = runner.invoke(app, ["resilience", "--remove", "gyproc"])
    assert result.exit_code == 0, result.output
    assert f"Exchanges lost ({len(lost)})" in result.output and "asnaes-gypsum" in result.output
    assert f"Lost {diverted_tonnes(lost).sum():,.1f} t diverted" in result.output and "recovery" in result.output
    unknown = runner.invoke(app, ["resilience", "--remove", "nobody"])
    assert unknown.exit_code == 3 and "'nobody'" in unknown.output and "problem(s) in the input" in unknown.output


def test_processor_site_names_the_site_and_the_offers_it_takes():
    """Aalborg Portland's surplus kiln heat (1,306,971 GJ/yr) is 250 km from any heat need of the demo."""
    result = runner.invoke(app, ["processor-site", "--material", "hot-water"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert f"{1_306_971 / 3.6:,.1f} MWh/yr" in text and "aalborg-portland-heat" in text
    missing = runner.invoke(app, ["processor-site", "--material", "10 01 05"])
    assert missing.exit_code == 1 and "no unmatched supply of material '10 01 05'" in missing.output


def test_scenarios_run_from_a_file_and_from_options_are_saved_and_compared(tmp_path):
    spec = tmp_path / "collector.json"
    spec.write_text(json.dumps({
        "name": "Oil collector", "description": "a collector near the port that brings used engine oil to Avista Green",
        "add_companies": [{"company_id": "collector", "name": "Oil collector", "nace": "38.12", "lat": 55.670,
                           "lon": 11.110, "municipality": "Kalundborg"}],
        "add_listings": [{"listing_id": "collector-oil", "company_id": "collector", "kind": "offer",
                          "material": "13 02 05*", "quantity": 1000, "unit": "t/yr"}],
    }), encoding="utf-8")
    saved = tmp_path / "scenarios"
    first = runner.invoke(app, ["scenario", "run", str(spec), "--save", str(saved)])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["scenario", "run", "--name", "No Gyproc", "--remove", "gyproc", "--save", str(saved)])
    assert second.exit_code == 0, second.output
    collector = json.loads((saved / "oil-collector.json").read_text(encoding="utf-8"))
    assert collector["change"]["waste_t"] == 1000.0  # same-code reuse: 1 t diverted per t given
    compare = runner.invoke(app, ["scenario", "compare", str(saved / "oil-collector.json"),
                                  str(saved / "no-gyproc.json"), "--out", str(tmp_path / "compare.csv")])
    assert compare.exit_code == 0, compare.output
    table = pd.read_csv(tmp_path / "compare.csv", index_col="metric")
    assert table.loc["waste_t", "Oil collector: change"] == 1000.0
    assert table.loc["exchanges", "No Gyproc: change"] < 0
    bad = runner.invoke(app, ["scenario", "run", "--name", "x", "--remove", "ghost"])
    assert bad.exit_code == 3 and "'ghost'" in bad.output and "problem(s) in the input" in bad.output
