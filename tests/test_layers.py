"""The layers stay one-way: service -> analytics -> solvers -> symbiosis; the domain never needs OR-Tools,
and neither optimisation nor analytics needs FastAPI or a database."""

import subprocess
import sys
from pathlib import Path


def test_import_linter_contracts_hold():
    root = Path(__file__).resolve().parent.parent
    lint = Path(sys.executable).with_name("lint-imports")
    completed = subprocess.run([str(lint), "--config", str(root / "pyproject.toml")], cwd=root,
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "4 kept, 0 broken" in completed.stdout


def test_test_modules_share_code_only_through_tests_helpers():
    import re

    root = Path(__file__).resolve().parent
    offenders = []
    for path in root.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            found = re.match(r"\s*(?:from|import)\s+(tests\.[\w.]+)", line)
            if found and found.group(1) != "tests.helpers":
                offenders.append(f"{path.relative_to(root)}: {line.strip()}")
    assert offenders == []
