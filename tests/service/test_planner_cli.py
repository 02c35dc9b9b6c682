"""The planner's commands end to end on the bundled Kalundborg data."""

import json

import networkx as nx
import pandas as pd
import pytest
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


def test_resilience_rows_add_up_to_the_lost_total_water_included():
    # The refinery's cooling water counts its m3 as diverted, in each row as in the total.
    from symbiosis.schema import diverted_tonnes

    exchanges = _demo().exchanges
    lost = exchanges[(exchanges["supplier_id"] == "refinery") | (exchanges["receiver_id"] == "refinery")]
    assert lost["water_m3"].fillna(0).sum() > 0
    result = runner.invoke(app, ["resilience", "--remove", "refinery"], terminal_width=250)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "(refinery)" in line]
    shown = sum(float(line.split("│")[-2].strip().replace(",", "")) for line in rows)
    assert len(rows) == len(lost)
    assert shown == pytest.approx(diverted_tonnes(lost).sum(), rel=1e-3)


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


def _flat(output: str) -> str:
    """The output with line breaks and table rules folded into single spaces."""
    return " ".join(output.replace("│", " ").split())


@pytest.fixture
def no_matching(monkeypatch):
    """Fails the command if it starts matching the region: its checks must come first."""
    import service.files

    def refused(**_):
        raise AssertionError("the region was matched before the options were checked")

    monkeypatch.setattr(service.files, "match_files", refused)


def test_scenario_ids_with_stray_spaces_are_trimmed_on_the_command_line(tmp_path):
    companies = tmp_path / "add_companies.csv"
    companies.write_text("company_id,name,nace,lat,lon\ncrusher ,Ash crusher,23.63,55.66,11.09\n", encoding="utf-8")
    listings = tmp_path / "add_listings.csv"
    listings.write_text("listing_id,company_id,kind,material,quantity,unit\n"
                        "crusher-ash, crusher,need,aggregates,100000,t/yr\n", encoding="utf-8")
    result = runner.invoke(app, ["scenario", "run", "--name", "crusher", "--add-companies", str(companies),
                                 "--add-listings", str(listings), "--save", str(tmp_path)])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "crusher.json").read_text(encoding="utf-8"))
    assert saved["scenario"]["add_companies"][0]["company_id"] == "crusher"
    assert saved["change"]["exchanges"] >= 1
    spec = tmp_path / "clash.json"
    spec.write_text(json.dumps({"name": "clash", "add_listings": [
        {"listing_id": " asnaes-gypsum", "company_id": "asnaes", "kind": "offer", "material": "10 01 05",
         "quantity": 1000, "unit": "t/yr"}]}), encoding="utf-8")
    clash = runner.invoke(app, ["scenario", "run", str(spec)])
    assert clash.exit_code == 3, clash.output
    assert "'asnaes-gypsum' already exists in the region" in _flat(clash.output)


def test_scenario_output_paths_are_refused_before_matching(tmp_path, no_matching):
    spec = tmp_path / "close.json"
    spec.write_text(json.dumps({"name": "close", "remove_companies": ["gyproc"]}), encoding="utf-8")
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    (tmp_path / "taken" / "close.json").mkdir(parents=True)
    for save, reason in ((a_file, "it is a file, not a folder"), (a_file / "below", "is a file, not a folder"),
                         (tmp_path / ("x" * 300), "is longer than the"),
                         (tmp_path / "taken", "cannot save the result as close.json: it is a folder, not a file")):
        result = runner.invoke(app, ["scenario", "run", str(spec), "--save", str(save)])
        assert result.exit_code == 2 and reason in _flat(result.output), result.output
    for out_path, reason in ((tmp_path, "it is a folder, not a file"), (tmp_path / "nodir" / "x.csv", "does not exist"),
                             (a_file / "x.csv", "is a file, not a folder"), (tmp_path / ("x" * 300 + ".csv"), "longer")):
        result = runner.invoke(app, ["scenario", "compare", str(spec), "--out", str(out_path)])
        assert result.exit_code == 2 and f"--out{out_path}" in "".join(result.output.split()), result.output
        assert reason in _flat(result.output), result.output
    assert not (tmp_path / "nodir").exists()


def test_a_long_scenario_name_is_saved_under_a_shortened_file_name(tmp_path):
    name = "Gyproc closes " + "and more " * 40
    result = runner.invoke(app, ["scenario", "run", "--name", name, "--remove", "gyproc", "--save", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (saved,) = tmp_path.glob("*.json")
    assert saved.name.startswith("gyproc-closes-and-more-") and len(saved.name) <= 105
    assert json.loads(saved.read_text(encoding="utf-8"))["name"] == name.strip()


def test_scenario_files_that_cannot_be_read_are_bad_input_naming_the_file(tmp_path, no_matching):
    folder = tmp_path / "folder.json"
    folder.mkdir()
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"name": "Grøn"}'.encode("cp1252"))
    half = tmp_path / "half.json"
    half.write_text(json.dumps({"name": "half"}), encoding="utf-8")
    results = {}
    for args in (["run", str(folder)], ["run", str(latin)], ["compare", str(folder), str(latin)],
                 ["compare", str(half)]):
        result = runner.invoke(app, ["scenario", *args])
        assert result.exit_code == 3 and "problem(s) in the input" in result.output, result.output
        results[" ".join(args)] = _flat(result.output)
    assert "folder.json" in results[f"run {folder}"] and "Is a directory" in results[f"run {folder}"]
    assert "latin.json" in results[f"run {latin}"] and "is not UTF-8 text" in results[f"run {latin}"]
    both = results[f"compare {folder} {latin}"]
    assert "2 problem(s)" in both and "Is a directory" in both and "is not UTF-8 text" in both
    assert "half.json" in results[f"compare {half}"] and "is not a saved scenario result" in results[f"compare {half}"]


def test_processor_site_reads_the_need_material_as_listings_name_it():
    result = runner.invoke(app, ["processor-site", "--material", "sulphur", "--need-material", " FERTILISER "])
    assert result.exit_code == 0, result.output
    assert "processor of sulphur into fertiliser" in _flat(result.output)


def test_processor_site_refuses_unknown_materials_before_matching(no_matching):
    result = runner.invoke(app, ["processor-site", "--material", "nosuch", "--need-material", "fertilizer"])
    assert result.exit_code == 3, result.output
    text = _flat(result.output)
    assert "--material" in text and "'nosuch' is neither" in text and "closest:" in text
    assert "--need-material" in text and "'fertilizer' is neither" in text and "fertiliser (Fertiliser" in text
    no_rule = runner.invoke(app, ["processor-site", "--material", "sulphur", "--need-material", "gypsum"])
    assert no_rule.exit_code == 1 and "no compatibility rule takes material 'sulphur' into 'gypsum'" in no_rule.output


def test_analyse_refuses_an_out_folder_name_too_long_before_matching(tmp_path):
    result = runner.invoke(app, ["analyse", "--out", str(tmp_path / ("x" * 300))])
    assert result.exit_code == 2, result.output
    assert "longer than the" in " ".join(result.output.split())


def test_planner_commands_read_danish_files_with_the_locale_match_takes(tmp_path):
    """'30.000' is 30,000 in Danish and 30 in English: without a locale an error, with --locale da
    the analysis runs, as `symbiosis match` does."""
    (tmp_path / "c.csv").write_text("company_id;name;nace;lat;lon\na;A;35.11;55.60;11.10\nb;B;23.51;55.61;11.11\n",
                                    encoding="utf-8")
    (tmp_path / "l.csv").write_text("listing_id;company_id;kind;material;quantity;unit\n"
                                    "o;a;offer;10 01 02;30.000;t/år\nn;b;need;cement-raw-material;20.000;t/år\n",
                                    encoding="utf-8")
    files = ["--companies", str(tmp_path / "c.csv"), "--listings", str(tmp_path / "l.csv")]
    assert runner.invoke(app, ["analyse", *files, "--out", str(tmp_path / "a")]).exit_code == 3
    done = runner.invoke(app, ["analyse", *files, "--locale", "da", "--out", str(tmp_path / "b")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "b" / "network.csv").exists()


def test_planner_csv_files_open_in_danish_excel(tmp_path):
    """The analysis and scenario comparison CSV files carry a byte-order mark (æøå in Excel) and,
    with --danish-csv, ; and a decimal comma, as match's files do."""
    plain = runner.invoke(app, ["analyse", "--out", str(tmp_path / "en")])
    assert plain.exit_code == 0, plain.output
    danish = runner.invoke(app, ["analyse", "--danish-csv", "--out", str(tmp_path / "da")])
    assert danish.exit_code == 0, danish.output
    for name in ("network.csv", "aggregates_municipality.csv", "unmatched_supply.csv"):
        english, local = ((tmp_path / folder / name).read_bytes() for folder in ("en", "da"))
        assert english.startswith(b"\xef\xbb\xbf") and local.startswith(b"\xef\xbb\xbf"), name
        header = local.decode("utf-8-sig").splitlines()[0]
        assert ";" in header and "," not in header, (name, header)
    table = pd.read_csv(tmp_path / "da" / "network.csv", sep=";", decimal=",", encoding="utf-8-sig", index_col=0)
    same = pd.read_csv(tmp_path / "en" / "network.csv", encoding="utf-8-sig", index_col=0)
    pd.testing.assert_frame_equal(table, same)
