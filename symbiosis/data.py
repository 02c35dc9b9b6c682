"""Locate and read the data files shipped in ``datasets/``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

_PACKAGE_DATA = Path(__file__).resolve().parent / "datasets"
_SOURCE_DATA = Path(__file__).resolve().parent.parent / "datasets"


def datasets_dir() -> Path:
    """Return the folder holding the data files.

    In an installed wheel the files live in ``symbiosis/datasets``; in a source checkout (and an
    editable install) they live in the repository's top-level ``datasets/`` folder.
    """
    for candidate in (_PACKAGE_DATA, _SOURCE_DATA):
        if (candidate / "materials.csv").is_file():
            return candidate
    raise FileNotFoundError(
        f"the data files were not found in {_PACKAGE_DATA} or {_SOURCE_DATA}; reinstall the package"
    )


def dataset_path(name: str) -> Path:
    """Return the path of one data file, e.g. ``dataset_path("compatibility.csv")``."""
    path = datasets_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"data file {name!r} is missing from {datasets_dir()}")
    return path


@cache
def read_dataset(name: str) -> pd.DataFrame:
    """Read a CSV data file once per process (callers must not modify the returned frame)."""
    return pd.read_csv(dataset_path(name), dtype=str, keep_default_na=False, comment=None)
