"""Coverage of documented exchange types by the rule book, measured on the ISDATA table.

Usage: python benchmarks/coverage.py [--mapping datasets/isdata_mapping.csv]

``datasets/isdata_mapping.csv`` maps every row of the ISDATA exchange table (Davis & Aid 2021,
738 exchanges in 17 parks) to an offer material (EWC code or class) and a need class, or marks it
out of scope (product sales, treatment services, shared infrastructure) or not expressible. An
exchange type is one distinct (offer material, need class) pair among the in-scope, expressible
by-product and utility-sharing rows; it is covered when the engine's own lookup
(:meth:`symbiosis.rules.RuleBook.rule_for`, most specific rule wins) finds a rule for it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from symbiosis.errors import DataError  # noqa: E402
from symbiosis.rules import RuleBook, default_rulebook  # noqa: E402

MAPPING = ROOT / "datasets" / "isdata_mapping.csv"
COLUMNS = ("isdata_row", "park", "material", "category", "exchange_type", "in_scope", "expressible",
           "offer_material", "need_material", "reason")


@dataclass(frozen=True)
class Coverage:
    """Coverage of the expressible in-scope exchange types.

    Attributes
    ----------
    types
        One row per distinct (offer_material, need_material): ``rows`` (ISDATA row numbers),
        ``parks``, ``materials`` (as written in ISDATA), ``rule_id`` (None when uncovered).
    rows_in_scope, rows_expressible, rows_covered
        Row counts: by-product and utility-sharing rows in scope, of which expressible, of which
        covered by a rule.
    """

    types: pd.DataFrame
    rows_in_scope: int
    rows_expressible: int
    rows_covered: int

    @property
    def share(self) -> float:
        """Covered exchange types / expressible exchange types."""
        return float(self.types["rule_id"].notna().mean()) if len(self.types) else 0.0

    @property
    def row_share(self) -> float:
        """Covered rows / expressible rows."""
        return self.rows_covered / self.rows_expressible if self.rows_expressible else 0.0

    @property
    def uncovered(self) -> pd.DataFrame:
        """The exchange types without a rule."""
        return self.types[self.types["rule_id"].isna()]


def read_mapping(path: Path = MAPPING) -> pd.DataFrame:
    """Read and check the mapping file.

    Raises
    ------
    DataError
        Naming the file, row and column when a column is missing or a value is not allowed.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path.name}: missing column(s) {missing}")
    for position, row in frame.iterrows():
        where = f"{path.name} row {position + 2}"
        if row["in_scope"] not in ("yes", "no"):
            raise DataError(f"{where}, column 'in_scope': {row['in_scope']!r} is not 'yes' or 'no'")
        if row["in_scope"] == "yes" and row["expressible"] not in ("yes", "no"):
            raise DataError(f"{where}, column 'expressible': {row['expressible']!r} is not 'yes' or 'no'")
        if row["expressible"] == "yes" and not (row["offer_material"] and row["need_material"]):
            raise DataError(f"{where}: an expressible row needs offer_material and need_material")
        if not row["reason"].strip():
            raise DataError(f"{where}, column 'reason' is empty")
    return frame


def coverage(mapping: pd.DataFrame | None = None, rulebook: RuleBook | None = None) -> Coverage:
    """Measure how many expressible in-scope ISDATA exchange types the rule book covers.

    Parameters
    ----------
    mapping
        The mapping table; defaults to ``datasets/isdata_mapping.csv``.
    rulebook
        Defaults to the shipped rule book.
    """
    mapping = read_mapping() if mapping is None else mapping
    rulebook = rulebook or default_rulebook()
    scope = mapping[(mapping["in_scope"] == "yes") & mapping["category"].isin(["by-product", "utility-sharing"])]
    expressible = scope[scope["expressible"] == "yes"]
    records = []
    for (offer, need), group in expressible.groupby(["offer_material", "need_material"], sort=True):
        records.append({
            "offer_material": offer,
            "need_material": need,
            "rule_id": rulebook.rule_for(offer, need),
            "rows": ", ".join(group["isdata_row"]),
            "parks": ", ".join(sorted(set(group["park"]))),
            "materials": ", ".join(sorted(set(group["material"]))),
        })
    types = pd.DataFrame(records, columns=["offer_material", "need_material", "rule_id", "rows", "parks", "materials"])
    covered_pairs = set(zip(types.loc[types["rule_id"].notna(), "offer_material"], types.loc[types["rule_id"].notna(), "need_material"]))
    rows_covered = sum((o, n) in covered_pairs for o, n in zip(expressible["offer_material"], expressible["need_material"]))
    return Coverage(types=types, rows_in_scope=len(scope), rows_expressible=len(expressible), rows_covered=rows_covered)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mapping", type=Path, default=MAPPING)
    args = parser.parse_args(argv)
    mapping = read_mapping(args.mapping)
    result = coverage(mapping)
    total = len(mapping)
    by_cat = mapping["category"].value_counts()
    out_of_scope = mapping[(mapping["category"] != "product") & (mapping["in_scope"] == "no")]
    print(f"ISDATA rows: {total} ({by_cat.get('by-product', 0)} by-product, {by_cat.get('utility-sharing', 0)} "
          f"utility sharing, {by_cat.get('product', 0)} product sales)")
    print(f"by-product/utility rows out of scope (services, shared infrastructure): {len(out_of_scope)}")
    print(f"in scope: {result.rows_in_scope} rows, of which expressible {result.rows_expressible} "
          f"(not expressible: {result.rows_in_scope - result.rows_expressible})")
    n_types, n_cov = len(result.types), int(result.types["rule_id"].notna().sum())
    print(f"exchange types (offer material, need class): {n_types}, covered by a rule: {n_cov} = {result.share:.1%}")
    print(f"rows covered: {result.rows_covered} of {result.rows_expressible} = {result.row_share:.1%}")
    print("uncovered exchange types:")
    for row in result.uncovered.itertuples(index=False):
        reasons = mapping.loc[mapping["isdata_row"].isin(row.rows.split(", ")), "reason"].unique()
        print(f"  {row.offer_material} -> {row.need_material}  rows {row.rows} ({row.parks}): {'; '.join(reasons)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
