"""NACE branch groups of companies (``CA`` .. ``CM`` or ``other``), from ``datasets/nace_branch_groups.csv``."""

from __future__ import annotations

from functools import cache

import pandas as pd

from symbiosis.data import read_dataset

#: Branch of a company whose NACE division is in no range of ``datasets/nace_branch_groups.csv``.
OTHER_BRANCH = "other"


@cache
def _branch_by_division() -> dict[str, str]:
    table = read_dataset("nace_branch_groups.csv")
    mapping: dict[str, str] = {}
    for row in table.itertuples(index=False):
        for division in range(int(row.division_from), int(row.division_to) + 1):
            mapping[f"{division:02d}"] = row.branch
    return mapping


def nace_branch(nace: pd.Series) -> pd.Series:
    """The branch group (``CA`` .. ``CM`` or ``other``) of NACE codes such as ``23.51``."""
    division = nace.astype(str).str.strip().str[:2]
    return division.map(_branch_by_division()).fillna(OTHER_BRANCH)
