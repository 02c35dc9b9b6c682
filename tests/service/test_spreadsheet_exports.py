"""Every CSV the command line writes for people is safe to open in a spreadsheet program (no formulas)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from service.cli import app
from service.files import kalundborg_paths
from symbiosis.spreadsheet import FORMULA_PREFIXES

runner = CliRunner()
#: A company that names itself like a formula, as any company can.
HOSTILE = {"company_id": "-2+3", "name": '=HYPERLINK("http://evil.example","click")', "municipality": "@SUM(A1)"}


def formula_cells(path: Path) -> list[str]:
    """Cells of a CSV file that a spreadsheet program would run as a formula (numbers are not formulas)."""
    found = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            for cell in row:
                try:
                    float(cell)
                except ValueError:
                    if cell.startswith(FORMULA_PREFIXES):
                        found.append(cell)
    return found


def hostile_region(folder: Path) -> dict[str, Path]:
    """The Kalundborg data with Asnæs renamed like a formula (id, name and municipality)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, path in kalundborg_paths().items():
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        table.loc[table["company_id"] == "asnaes", "company_id"] = HOSTILE["company_id"]
        if name == "companies":
            table.loc[table["company_id"] == HOSTILE["company_id"], ["name", "municipality"]] = [
                HOSTILE["name"], HOSTILE["municipality"]]
        paths[name] = folder / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    return paths


def test_match_and_analyse_write_formula_like_names_as_text(tmp_path):
    paths = hostile_region(tmp_path / "in")
    inputs = ["--companies", str(paths["companies"]), "--listings", str(paths["listings"])]
    for command in (["match", *inputs, "--out", str(tmp_path / "match")],
                    ["analyse", *inputs, "--out", str(tmp_path / "analysis")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
    written = sorted((tmp_path / "match").glob("*.csv")) + sorted((tmp_path / "analysis").glob("*.csv"))
    assert len(written) == 9
    assert {path.name: formula_cells(path) for path in written} == {path.name: [] for path in written}
    exchanges = pd.read_csv(tmp_path / "match" / "exchanges.csv", dtype=str, keep_default_na=False)
    assert "'-2+3" in set(exchanges["supplier_id"])
    network = pd.read_csv(tmp_path / "analysis" / "network.csv", dtype=str, keep_default_na=False)
    assert "'-2+3" in set(network["company_id"])
    municipality = pd.read_csv(tmp_path / "analysis" / "aggregates_municipality.csv", dtype=str)
    assert "'@SUM(A1)" in set(municipality["municipality"])
    # Negative numbers stay numbers.
    values = pd.read_csv(tmp_path / "analysis" / "marginal_values.csv")
    assert values["value"].dtype == float


def test_scenario_comparison_csv_writes_formula_like_scenario_names_as_text(tmp_path):
    saved = tmp_path / "saved"
    result = runner.invoke(app, ["scenario", "run", "--name", "=1+1", "--remove", "gyproc", "--save", str(saved)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "compare.csv"
    result = runner.invoke(app, ["scenario", "compare", *map(str, saved.glob("*.json")), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert formula_cells(out) == []
    assert "'=1+1: change" in pd.read_csv(out).columns
