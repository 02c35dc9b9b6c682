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
