"""The command line end to end, as a facilitator runs it."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from service.cli import app
from service.files import kalundborg_paths
from symbiosis.schema import EXCHANGE_COLUMNS, INDICATORS

runner = CliRunner()


def test_demo_prints_kalundborg_exchanges_indicators_and_unmatched():
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "asnaes-gypsum" in result.output and "gyproc-gypsum" in result.output
    assert "Effect indicators per year" in result.output
    assert "Unmatched listings" in result.output
    assert "optimal by" in result.output


def test_generate_then_match_writes_the_three_files(tmp_path):
    region = tmp_path / "region"
    assert runner.invoke(app, ["generate", "--companies", "60", "--seed", "7", "--out", str(region)]).exit_code == 0
    companies = pd.read_csv(region / "companies.csv")
    assert len(companies) == 60
    out = tmp_path / "out"
    result = runner.invoke(app, ["match", "--companies", str(region / "companies.csv"),
                                 "--listings", str(region / "listings.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    exchanges = pd.read_csv(out / "exchanges.csv")
    assert list(exchanges.columns) == [*EXCHANGE_COLUMNS, "explanation"]
    assert exchanges["explanation"].str.startswith("rule ").all()
    assert len(exchanges) > 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["counts"]["exchanges"] == len(exchanges)
    assert set(INDICATORS) <= set(summary["totals"])
    assert summary["totals"]["waste_t"] == pytest.approx(exchanges["waste_t"].sum(), rel=1e-6)
    assert summary["objective"]["value"] == pytest.approx(exchanges["objective_contribution"].sum(), rel=1e-6)
    unmatched = pd.read_csv(out / "unmatched.csv")
    assert {"listing_id", "reason"} <= set(unmatched.columns)
    listings = pd.read_csv(region / "listings.csv")
    used = set(exchanges["offer_id"]) | set(exchanges["need_id"])
    assert used | set(unmatched["listing_id"]) == set(listings["listing_id"])


def test_same_seed_generates_the_same_region(tmp_path):
    for name in ("a", "b"):
        runner.invoke(app, ["generate", "--listings", "200", "--seed", "3", "--out", str(tmp_path / name)])
    assert (tmp_path / "a" / "listings.csv").read_text() == (tmp_path / "b" / "listings.csv").read_text()
    assert len(pd.read_csv(tmp_path / "a" / "listings.csv")) == 200


@pytest.mark.parametrize("objective", ["diverted", "co2", "value"])
@pytest.mark.parametrize("solver", ["auto", "lp", "milp", "greedy"])
def test_every_objective_and_solver_runs_on_the_workbook(tmp_path, objective, solver):
    paths = kalundborg_paths()
    workbook = tmp_path / "k.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        pd.read_csv(paths["companies"], dtype=str).to_excel(writer, sheet_name="companies", index=False)
        pd.read_csv(paths["listings"], dtype=str).to_excel(writer, sheet_name="listings", index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["match", "--workbook", str(workbook), "--out", str(out),
                                 "--objective", objective, "--solver", solver])
    if (solver, objective) == ("lp", "value"):  # link costs count in the value objective: binaries needed
        assert result.exit_code == 1 and "need the MILP" in " ".join(result.output.split())
        assert not out.exists()
        return
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective"]["name"] == objective
    assert summary["counts"]["exchanges"] > 0


def test_bad_input_lists_every_problem_exits_3_and_writes_nothing(tmp_path):
    (tmp_path / "c.csv").write_text("company_id,name,nace,lat,lon\na,A,35.11,55.6,11.1\n")
    (tmp_path / "l.csv").write_text(
        "listing_id,company_id,kind,material,quantity,unit\n"
        "x,a,offer,10 01 05,many,t/yr\n"
        "y,b,need,gypsum,5,t\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["match", "--companies", str(tmp_path / "c.csv"), "--listings",
                                 str(tmp_path / "l.csv"), "--out", str(out)])
    assert result.exit_code == 3
    text = " ".join(result.output.split())
    for fragment in ("3 problem(s)", "'many' is not a number", "'b' is not a company_id", "not a rate", "nothing was written"):
        assert fragment in text
    assert not out.exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())


def test_a_failed_run_leaves_earlier_results_untouched(tmp_path):
    paths = kalundborg_paths()
    out = tmp_path / "out"
    ok = runner.invoke(app, ["match", "--companies", str(paths["companies"]), "--listings", str(paths["listings"]), "--out", str(out)])
    assert ok.exit_code == 0
    before = (out / "exchanges.csv").read_text()
    (tmp_path / "bad.csv").write_text("listing_id,company_id,kind,material,quantity,unit\nx,nobody,offer,steam,1,MWh/yr\n")
    bad = runner.invoke(app, ["match", "--companies", str(paths["companies"]), "--listings", str(tmp_path / "bad.csv"), "--out", str(out)])
    assert bad.exit_code == 3
    assert (out / "exchanges.csv").read_text() == before


def test_missing_inputs_are_a_usage_error(tmp_path):
    result = runner.invoke(app, ["match", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "give --companies and --listings" in result.output


def test_template_command_writes_the_workbook(tmp_path):
    result = runner.invoke(app, ["template", "--out", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0
    assert {"companies", "listings", "settings", "columns", "materials"} <= set(pd.read_excel(tmp_path / "t.xlsx", sheet_name=None))


def test_explain_prints_an_exchange_or_the_reason_for_none(tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(app, ["demo", "--out", str(out)]).exit_code == 0
    exchanges = pd.read_csv(out / "exchanges.csv")
    first = exchanges.iloc[0]
    shown = runner.invoke(app, ["explain", "--out", str(out), first["offer_id"]])
    text = " ".join(shown.output.split())
    assert shown.exit_code == 0
    limit = f"limit {first['max_distance_km']:.0f} km" if pd.notna(first["max_distance_km"]) else "its cost decides"
    assert first["rule_id"] in text and limit in text
    assert "waste diverted (t)" in text and "net benefit (EUR/yr)" in text and "fair price" in text
    assert " ".join(first["explanation"].split())[:60] in text  # the one explanation of the result files
    unmatched = pd.read_csv(out / "unmatched.csv")
    lonely = unmatched.iloc[0]
    shown = runner.invoke(app, ["explain", "--out", str(out), lonely["listing_id"]])
    assert shown.exit_code == 0 and lonely["reason"][:40] in " ".join(shown.output.split())
    missing = runner.invoke(app, ["explain", "--out", str(out), "no-such-listing"])
    assert missing.exit_code == 2 and "not in the results" in missing.output


def test_directives_file_locks_and_infeasible_locks_exit_with_their_names(tmp_path):
    paths = kalundborg_paths()
    base = ["match", "--companies", str(paths["companies"]), "--listings", str(paths["listings"])]
    forbid = tmp_path / "forbid.csv"
    forbid.write_text("action,offer_id,need_id,supplier_id,receiver_id,min_quantity\n"
                      "forbid,asnaes-gypsum,gyproc-gypsum,,,\n")
    out = tmp_path / "out"
    assert runner.invoke(app, [*base, "--out", str(out), "--directives", str(forbid)]).exit_code == 0
    exchanges = pd.read_csv(out / "exchanges.csv")
    assert not ((exchanges["offer_id"] == "asnaes-gypsum") & (exchanges["need_id"] == "gyproc-gypsum")).any()
    assert json.loads((out / "summary.json").read_text())["parameters"]["forbids"] == 1
    impossible = tmp_path / "locks.csv"
    impossible.write_text("action,offer_id,need_id,supplier_id,receiver_id,min_quantity\n"
                          "lock,asnaes-gypsum,gyproc-gypsum,,,999999999\n")
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "o2"), "--directives", str(impossible)])
    assert result.exit_code == 1 and "asnaes-gypsum -> gyproc-gypsum" in result.output
    assert not (tmp_path / "o2").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("action,offer_id,need_id\nlock,asnaes-gypsum,no-such-need\n")
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "o3"), "--directives", str(bad)])
    assert result.exit_code == 3 and "'no-such-need' is not a listing_id" in " ".join(result.output.split())


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"symbiosis-engine {version('symbiosis-engine')}"


@pytest.mark.parametrize("command", [["demo"], ["match", *sum((["--" + k, str(v)] for k, v in kalundborg_paths().items()), [])]])
def test_json_prints_the_run_summary_on_stdout(tmp_path, command):
    result = runner.invoke(app, [*command, "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {"status", "objective", "bound", "solver", "totals", "counts", "parameters", "notices"} <= set(summary)
    assert summary["status"] == "optimal" and summary["counts"]["exchanges"] > 0
    assert summary == json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "Proposed exchanges" not in result.stdout


def test_help_and_the_exit_codes_need_no_engine_import():
    code = ("import sys; from typer.testing import CliRunner; from service.cli import app; "
            "result = CliRunner().invoke(app, ['--help']); assert result.exit_code == 0, result.output; "
            "assert 'Exit codes' in result.output and '3 bad input data' in ' '.join(result.output.split()); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'pandas', 'numpy', 'ortools', 'sqlalchemy', 'sklearn', 'fastapi', 'networkx', 'pint', 'openpyxl'}))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"


def test_command_line_choices_are_the_engine_enums():
    from service.api.auth import Role
    from service.cli.match import MilpEngineChoice, ObjectiveChoice, SolverChoice
    from service.cli.server import RoleChoice
    from solvers.params import MILP_ENGINES, SolverName
    from symbiosis.objective import Objective

    for choice, enum in ((ObjectiveChoice, Objective), (SolverChoice, SolverName), (RoleChoice, Role)):
        assert [c.value for c in choice] == [e.value for e in enum]
    assert {c.value for c in MilpEngineChoice} == set(MILP_ENGINES)


def test_contradictory_and_unknown_options_are_usage_errors(tmp_path):
    paths = kalundborg_paths()
    both = runner.invoke(app, ["match", "--workbook", "w.xlsx", "--companies", str(paths["companies"]),
                               "--out", str(tmp_path / "o")])
    assert both.exit_code == 2 and "not both" in both.output
    unknown = runner.invoke(app, ["match", "--no-such-option"])
    assert unknown.exit_code == 2


def test_match_with_two_solver_processes_writes_the_exchanges_of_one(tmp_path):
    region = tmp_path / "region"
    runner.invoke(app, ["generate", "--listings", "400", "--seed", "5", "--out", str(region)])
    files = ["--companies", str(region / "companies.csv"), "--listings", str(region / "listings.csv")]
    for processes in ("1", "2"):
        result = runner.invoke(app, ["match", *files, "--processes", processes, "--out", str(tmp_path / processes)])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "1" / "exchanges.csv").read_text() == (tmp_path / "2" / "exchanges.csv").read_text()
    refused = runner.invoke(app, ["match", *files, "--processes", "0", "--out", str(tmp_path / "0")])
    assert refused.exit_code == 2 and "--processes" in refused.output


def test_match_in_parts_writes_the_files_of_a_run_at_once(tmp_path, monkeypatch):
    region = tmp_path / "region"
    assert runner.invoke(app, ["generate", "--listings", "1500", "--seed", "4", "--out", str(region)]).exit_code == 0
    base = ["match", "--companies", str(region / "companies.csv"), "--listings", str(region / "listings.csv")]
    written = {}
    for flag in ("--in-parts", "--at-once"):
        result = runner.invoke(app, [*base, "--out", str(tmp_path / flag), flag])
        assert result.exit_code == 0, result.output
        key = ["offer_id", "need_id"]
        written[flag] = (pd.read_csv(tmp_path / flag / "exchanges.csv").sort_values(key).reset_index(drop=True),
                         pd.read_csv(tmp_path / flag / "unmatched.csv").sort_values("listing_id").reset_index(drop=True),
                         json.loads((tmp_path / flag / "summary.json").read_text()))
    (ex_parts, un_parts, sum_parts), (ex_once, un_once, sum_once) = written["--in-parts"], written["--at-once"]
    pd.testing.assert_frame_equal(ex_parts, ex_once)
    pd.testing.assert_frame_equal(un_parts, un_once)
    assert sum_parts["counts"] == sum_once["counts"] and sum_parts["totals"] == sum_once["totals"]
    assert sum_parts["parameters"]["in_parts"] and not sum_once["parameters"]["in_parts"]
    assert sum_parts["solver_details"]["parts"] > 1
    # Without a flag, a run is in parts from IN_PARTS_MIN_LISTINGS listings.
    import service.files

    auto = [*base, "--json", "--out", str(tmp_path / "auto")]
    assert json_of(runner.invoke(app, auto))["parameters"]["in_parts"] is False
    monkeypatch.setattr(service.files, "IN_PARTS_MIN_LISTINGS", 1500)
    assert json_of(runner.invoke(app, auto))["parameters"]["in_parts"] is True


def json_of(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{"):])
