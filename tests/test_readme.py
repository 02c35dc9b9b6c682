"""The README documents the input contract and the commands as they are."""

from pathlib import Path

from symbiosis.schema import TABLES, markdown_table

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_documents_every_input_column():
    for columns in TABLES.values():
        for column in columns:
            assert f"| `{column.name}` |" in README, column.name


def test_readme_test_command_is_the_one_ci_runs():
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    command = 'python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]" && .venv/bin/python -m pytest'
    assert command in README and command in ci


def test_readme_result_tables_are_the_schema_s():
    from symbiosis.schema import EXCHANGE_FIELDS, UNMATCHED_FIELDS, markdown_table

    assert markdown_table(EXCHANGE_FIELDS, result=True) in README
    assert markdown_table(UNMATCHED_FIELDS, result=True) in README


def test_readme_input_tables_are_the_schema_s():
    for columns in TABLES.values():
        assert markdown_table(columns) in README


def test_readme_python_api_snippet_runs_as_shown(monkeypatch):
    """The notebook snippet of the README, run as it stands from the project folder."""
    import networkx as nx

    block = README.split("## Python API", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    result = namespace["result"]
    assert len(result.exchanges) > 0 and "reason" in result.unmatched.columns
    assert result.summary["counts"]["exchanges"] == len(result.exchanges)
    assert isinstance(result.graph(), nx.DiGraph)


def test_readme_names_every_material_class():
    import re

    from symbiosis.data import read_dataset

    ids = sorted(read_dataset("materials.csv")["material_id"])
    found = re.search(r"or one of the (\d+) class ids of\n`datasets/materials.csv`: ([^\n]*)\.\n", README)
    assert found and int(found.group(1)) == len(ids)
    assert re.findall(r"`([^`]+)`", found.group(2)) == ids
