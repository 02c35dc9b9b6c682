"""The README documents the input contract and the commands as they are."""

from pathlib import Path

from symbiosis.schema import TABLES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_documents_every_input_column():
    for columns in TABLES.values():
        for column in columns:
            assert f"| `{column.name}` |" in README, column.name


def test_readme_test_command_is_the_one_ci_runs():
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    command = 'python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]" && .venv/bin/python -m pytest'
    assert command in README and command in ci
