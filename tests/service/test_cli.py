"""The command line end to end, as a facilitator runs it."""

import json
import subprocess
import sys
from pathlib import Path

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


DANISH_COMPANIES = "company_id;name;nace;lat;lon\na;Alpha;35.11;55,66;11,08\nb;Beta;23.51;55,68;11,11\n"
DANISH_LISTINGS = ("listing_id;company_id;kind;material;quantity;unit\n"
                   "o1;a;offer;10 01 05;5.000;t/år\nn1;b;need;gypsum;2.000;t/år\nn2;b;need;gypsum;4.000;t/år\n")


def _danish_region(tmp_path, listings=DANISH_LISTINGS, companies=DANISH_COMPANIES):
    (tmp_path / "c.csv").write_text(companies, encoding="utf-8")
    (tmp_path / "l.csv").write_text(listings, encoding="utf-8")
    return ["match", "--companies", str(tmp_path / "c.csv"), "--listings", str(tmp_path / "l.csv")]


def _lock_n1(tmp_path, quantity, blank_end=""):
    path = tmp_path / "d.csv"
    path.write_text("action;offer_id;need_id;supplier_id;receiver_id;min_quantity\n"
                    f"lock;o1;n1;;;{quantity}\n{blank_end}", encoding="utf-8")
    return ["--directives", str(path)]


def test_directive_numbers_are_read_in_the_declared_locale_of_the_listings(tmp_path):
    base = _danish_region(tmp_path)
    # n1 needs 2.000 t: a lock of at least 2.500 t (Danish) cannot hold, one of 1.500 t can
    result = runner.invoke(app, [*base, "--locale", "da", *_lock_n1(tmp_path, "2.500"), "--out", str(tmp_path / "o1")])
    assert result.exit_code == 1 and "o1 -> n1" in " ".join(result.output.split())
    assert not (tmp_path / "o1").exists()
    result = runner.invoke(app, [*base, "--locale", "da", *_lock_n1(tmp_path, "1.500"), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 0, result.output
    exchanges = pd.read_csv(tmp_path / "o2" / "exchanges.csv")
    assert exchanges.loc[exchanges["need_id"] == "n1", "quantity"].item() >= 1500
    result = runner.invoke(app, [*base, "--locale", "da", *_lock_n1(tmp_path, "0,5"), "--out", str(tmp_path / "o3")])
    assert result.exit_code == 0, result.output


def test_an_ambiguous_directive_number_without_a_locale_is_a_row_error(tmp_path):
    plain = DANISH_LISTINGS.replace("5.000", "5000").replace("2.000", "2000").replace("4.000", "4000")
    base = _danish_region(tmp_path, plain, DANISH_COMPANIES.replace(",", "."))  # nothing proves a locale
    result = runner.invoke(app, [*base, *_lock_n1(tmp_path, "1.500"), "--out", str(tmp_path / "out")])
    text = " ".join(result.output.replace("│", " ").split())  # the problem's text, wrapped in its column
    assert result.exit_code == 3 and "d.csv 2 min_quantity" in text
    assert "'1.500' reads as 1500 in Danish notation and as 1.5 in English notation" in text
    assert not (tmp_path / "out").exists()


def test_directive_numbers_follow_a_locale_detected_in_the_listings(tmp_path):
    proven = DANISH_LISTINGS.replace("5.000", "5.000,5")  # both marks: the file is Danish
    base = _danish_region(tmp_path, proven)
    result = runner.invoke(app, [*base, *_lock_n1(tmp_path, "2.500"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "o1 -> n1" in " ".join(result.output.split())


def test_directive_numbers_follow_the_workbook_settings_locale(tmp_path):
    workbook = tmp_path / "w.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        pd.DataFrame({"company_id": ["a", "b"], "name": ["Alpha", "Beta"], "nace": ["35.11", "23.51"],
                      "lat": [55.66, 55.68], "lon": [11.08, 11.11]}).to_excel(writer, sheet_name="companies", index=False)
        pd.DataFrame({"listing_id": ["o1", "n1"], "company_id": ["a", "b"], "kind": ["offer", "need"],
                      "material": ["10 01 05", "gypsum"], "quantity": [5000, 2000], "unit": ["t/år", "t/år"]}
                     ).to_excel(writer, sheet_name="listings", index=False)
        pd.DataFrame({"setting": ["locale"], "value": ["da"]}).to_excel(writer, sheet_name="settings", index=False)
    result = runner.invoke(app, ["match", "--workbook", str(workbook), *_lock_n1(tmp_path, "2.500"),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "o1 -> n1" in " ".join(result.output.split())


def test_a_directives_file_ending_in_blank_rows_is_read(tmp_path):
    base = _danish_region(tmp_path)
    result = runner.invoke(app, [*base, "--locale", "da", *_lock_n1(tmp_path, "1.500", blank_end="\n;;;;;\n"),
                                 "--out", str(tmp_path / "out"), "--json"])
    assert json_of(result)["parameters"]["locks"] == 1


@pytest.mark.parametrize(("out", "reason"), [("afile", "it is a file, not a folder"),
                                             ("afile/sub", "afile is a file, not a folder"),
                                             ("dangling", "is a link to"), ("dangling/sub", "which does not exist")])
def test_an_out_path_that_cannot_be_a_folder_is_a_usage_error_before_matching(tmp_path, monkeypatch, out, reason):
    (tmp_path / "afile").write_text("keep me\n")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    monkeypatch.chdir(tmp_path)
    import service.files

    match_files = service.files.match_files

    def no_match(**_):
        raise AssertionError("the matching started")

    monkeypatch.setattr(service.files, "match_files", no_match)
    base = _danish_region(tmp_path)
    for command in ([*base, "--out", out], ["demo", "--out", out], ["analyse", "--out", out]):
        result = runner.invoke(app, command)
        text = " ".join(result.output.split())
        assert result.exit_code == 2, result.output
        assert f"--out {out}:" in text and reason in text
    assert (tmp_path / "afile").read_text() == "keep me\n" and not (tmp_path / "nowhere").exists()
    with pytest.raises(NotADirectoryError, match=f"cannot write the results into {out}: .*{reason}"):
        match_files(out_dir=out)  # the library checks before reading anything, too


def test_a_file_that_cannot_be_written_is_an_error_without_a_traceback(tmp_path, monkeypatch):
    import errno

    import service.files

    def full_disk(run, out_dir, **_):
        raise OSError(errno.ENOSPC, "No space left on device", str(out_dir))

    monkeypatch.setattr(service.files, "write_outputs", full_disk)
    result = runner.invoke(app, [*_danish_region(tmp_path), "--locale", "da", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "No space left on device" in " ".join(result.output.split()) and "Traceback" not in result.output


@pytest.fixture
def other_file_system(tmp_path, monkeypatch):
    """``tmp_path / 'other'`` behaves as another file system: ``os.replace`` across it fails."""
    import errno
    import os

    import service.files

    other = tmp_path / "other"
    other.mkdir()
    replace = os.replace

    def across(source, target):
        inside = [Path(p).resolve().is_relative_to(other.resolve()) for p in (source, target)]
        if inside[0] != inside[1]:
            raise OSError(errno.EXDEV, "Invalid cross-device link", str(source), None, str(target))
        replace(source, target)

    monkeypatch.setattr(service.files.os, "replace", across)
    return other


@pytest.mark.parametrize("kind", ["link", "mount point", "new folder in a link"])
def test_results_are_written_into_a_folder_on_another_file_system(tmp_path, other_file_system, kind):
    from service.files import staged_files

    out = {"link": tmp_path / "link", "mount point": other_file_system,
           "new folder in a link": tmp_path / "link" / "new"}[kind]
    (tmp_path / "link").symlink_to(other_file_system)
    with staged_files(out) as staging:
        (staging / "exchanges.csv").write_text("first\n")
    with pytest.raises(RuntimeError), staged_files(out) as staging:  # a failure leaves the first results
        (staging / "exchanges.csv").write_text("second\n")
        raise RuntimeError("writing failed")
    assert (out / "exchanges.csv").read_text() == "first\n"
    assert sorted(p.name for p in out.iterdir()) == ["exchanges.csv"]  # no staging folder left inside
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "other"]  # nor beside


def test_match_writes_into_a_linked_out_folder_on_another_file_system(tmp_path, other_file_system):
    (tmp_path / "link").symlink_to(other_file_system)
    result = runner.invoke(app, [*_danish_region(tmp_path / "other"), "--locale", "da", "--out", str(tmp_path / "link")])
    assert result.exit_code == 0, result.output
    assert {"exchanges.csv", "unmatched.csv", "summary.json", "results.xlsx"} == {p.name for p in other_file_system.iterdir()} - {"c.csv", "l.csv"}


def test_explain_reads_results_written_with_danish_csv_as_those_written_without(tmp_path):
    paths = kalundborg_paths()
    base = ["match", "--companies", str(paths["companies"]), "--listings", str(paths["listings"])]
    assert runner.invoke(app, [*base, "--out", str(tmp_path / "en")]).exit_code == 0
    assert runner.invoke(app, [*base, "--out", str(tmp_path / "da"), "--danish-csv"]).exit_code == 0
    assert (tmp_path / "da" / "exchanges.csv").read_text(encoding="utf-8-sig").split("\n", 1)[0].count(";") > 10
    exchanges = pd.read_csv(tmp_path / "en" / "exchanges.csv")
    unmatched = pd.read_csv(tmp_path / "en" / "unmatched.csv")
    near = unmatched.dropna(subset=["nearest_id"])
    assert len(near) > 0 and (exchanges["distance_km"] % 1 != 0).any()  # decimal commas to read
    for listing in (exchanges["offer_id"].iloc[0], exchanges["need_id"].iloc[-1], near["listing_id"].iloc[0]):
        shown = {name: runner.invoke(app, ["explain", "--out", str(tmp_path / name), listing]) for name in ("en", "da")}
        assert shown["da"].exit_code == 0, shown["da"].output
        assert shown["da"].output == shown["en"].output
    assert f"at {near['nearest_km'].iloc[0]:.1f} km" in shown["da"].output


def test_explain_of_a_folder_without_results_is_a_usage_error(tmp_path):
    (tmp_path / "exchanges.csv").write_text("a;b\n1;2\n")
    (tmp_path / "unmatched.csv").write_text("listing_id,kind\nx,offer\n")
    result = runner.invoke(app, ["explain", "--out", str(tmp_path), "x"])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "exchanges.csv is not a results file" in text and "offer_id, need_id" in text
    (tmp_path / "exchanges.csv").unlink()
    result = runner.invoke(app, ["explain", "--out", str(tmp_path), "x"])
    assert result.exit_code == 2 and "exchanges.csv is missing" in " ".join(result.output.split())


def test_an_out_folder_this_user_may_not_write_into_is_named(tmp_path, monkeypatch):
    import os

    from service.files import out_dir_problem

    assert out_dir_problem(tmp_path / "new" / "folder") is None and out_dir_problem(tmp_path) is None
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)
    assert out_dir_problem(tmp_path / "new" / "folder") == f"this user may not write into the folder {tmp_path.resolve()}"
    assert out_dir_problem(tmp_path) == f"this user may not write into the folder {tmp_path.resolve()}"


def test_square_brackets_in_files_cells_and_ids_are_printed_as_they_are(tmp_path):
    """Text from the input (a material '[/b]', a file 'listings [draft].csv', an id 'a1[/x]') is
    printed literally: rich would read it as markup and crash or drop it."""
    (tmp_path / "c.csv").write_text("company_id,name,nace,lat,lon\na,A,35.11,55.6,11.1\nb,B,23.62,55.61,11.11\n")
    draft = tmp_path / "listings [draft].csv"
    draft.write_text("listing_id,company_id,kind,material,quantity,unit\na1,a,offer,[/b],150000,t/yr\n")
    out = tmp_path / "out"
    bad = runner.invoke(app, ["match", "--companies", str(tmp_path / "c.csv"), "--listings", str(draft),
                              "--out", str(out)])
    assert bad.exit_code == 3, bad.output
    text = " ".join(bad.output.split())
    assert "[/b]" in text and "listings [draft].csv" in text
    assert not out.exists()
    draft.write_text("listing_id,company_id,kind,material,quantity,unit\n"
                     "a1[/x],a,offer,10 01 05,150000,t/yr\nn[b]1,b,need,gypsum,100000,t/yr\n")
    good = runner.invoke(app, ["match", "--companies", str(tmp_path / "c.csv"), "--listings", str(draft),
                               "--out", str(out)])
    assert good.exit_code == 0, good.output
    assert "a1[/x]" in good.output and "n[b]1" in good.output
    why = runner.invoke(app, ["explain", "--out", str(out), "a1[/x]"])
    assert why.exit_code == 0, why.output
    assert "a1[/x]" in why.output


def test_out_paths_that_cannot_be_written_are_usage_errors_for_template_and_generate(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("")
    for arguments, fragment in (
        (["template", "--out", str(blocker / "x.xlsx")], "is a file, not a folder"),
        (["template", "--out", str(tmp_path)], "is a folder: give the workbook's file name"),
        (["generate", "--companies", "5", "--out", str(blocker)], "it is a file, not a folder"),
        (["generate", "--listings", "5", "--out", str(tmp_path / "g")], "--listings must be between 10"),
    ):
        result = runner.invoke(app, arguments)
        assert result.exit_code == 2, (arguments, result.output)
        assert fragment in " ".join(result.output.split()), (arguments, result.output)
