"""Compatibility knowledge: which offered material can serve which need, with yields and factors."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from symbiosis.data import read_dataset
from symbiosis.errors import DataError
from symbiosis.materials import MaterialCatalog, default_catalog
from symbiosis.schema import TRANSPORT_MODES

#: Per-unit factors every rule carries, per canonical unit of offer exchanged.
FACTOR_COLUMNS: tuple[str, ...] = ("resource_t", "water_m3", "co2e_t", "energy_mwh", "waste_t", "value_eur")
NUMERIC_COLUMNS: tuple[str, ...] = ("yield", "max_distance_km", *FACTOR_COLUMNS)
#: How specific a rule's offer_material is: an exact code beats a sub-chapter beats a chapter.
SPECIFICITY = {"class": 3, "code": 3, "subchapter": 2, "chapter": 1, "same-code": 4}
SAME_CODE_RULE = "same-ewc-code"


@dataclass(frozen=True)
class RuleBook:
    """The compatibility table and the direct-reuse (same EWC code) rule.

    ``rules`` is indexed by ``rule_id`` and has ``offer_material``, ``offer_level`` (class, code,
    subchapter or chapter), ``offer_key`` (the id, the code, or its 2/4-digit prefix),
    ``need_material``, the numeric columns, ``transport_mode``, ``quality_note`` and ``source``.
    """

    rules: pd.DataFrame
    same_code: pd.Series

    def match_offers(self, materials: pd.Index | list[str]) -> pd.DataFrame:
        """Return, for each distinct offered material, the most specific rule per need material.

        Columns: ``offer_material``, ``need_material``, ``rule_id``. EWC offers also pair with
        needs for the very same code through the same-code rule.
        """
        rows = []
        rules = self.rules
        by_key = {level: frame for level, frame in rules.groupby("offer_level")}
        for material in pd.unique(pd.Index(materials)):
            parts = material.split(" ")
            if len(parts) == 3 and all(p.isdigit() for p in parts):
                lookups = [("code", material), ("subchapter", " ".join(parts[:2])), ("chapter", parts[0])]
                rows.append((material, material, SAME_CODE_RULE, SPECIFICITY["same-code"]))
            else:
                lookups = [("class", material)]
            for level, key in lookups:
                frame = by_key.get(level)
                if frame is None:
                    continue
                hit = frame[frame["offer_key"] == key]
                rows.extend((material, need, rid, SPECIFICITY[level]) for rid, need in hit["need_material"].items())
        table = pd.DataFrame(rows, columns=["offer_material", "need_material", "rule_id", "specificity"])
        table = table.sort_values(["offer_material", "need_material", "specificity"], ascending=[True, True, False])
        table = table.drop_duplicates(["offer_material", "need_material"], keep="first")
        return table.drop(columns="specificity").reset_index(drop=True)

    def rule_table(self) -> pd.DataFrame:
        """All rules including the same-code rule, indexed by rule_id (numeric columns as floats)."""
        same = pd.DataFrame([self.same_code])
        same.index.name = "rule_id"
        same["offer_material"] = "(the need's own EWC code)"
        same["need_material"] = "(the offer's own EWC code)"
        table = pd.concat([self.rules, same])
        table[list(NUMERIC_COLUMNS)] = table[list(NUMERIC_COLUMNS)].astype(float)
        return table


def _parse_offer(text: str, catalog: MaterialCatalog, rule_id: str) -> tuple[str, str]:
    text = text.strip()
    if text in catalog.classes:
        return "class", text
    parts = text.replace("*", " * ").split()
    digits = [p for p in parts if p != "*"]
    if not digits or not all(len(p) == 2 and p.isdigit() for p in digits):
        raise DataError(f"compatibility.csv: rule {rule_id!r}: offer_material {text!r} is not a class id or EWC code/pattern")
    key = " ".join(digits)
    if len(digits) == 3:
        if key not in catalog.ewc:
            raise DataError(f"compatibility.csv: rule {rule_id!r}: {key} is not an EWC code")
        return "code", key
    if not any(code.startswith(key + " ") for code in catalog.ewc):
        raise DataError(f"compatibility.csv: rule {rule_id!r}: pattern {text!r} matches no EWC code")
    return ("subchapter" if len(digits) == 2 else "chapter"), key


def _to_numeric(frame: pd.DataFrame, columns: tuple[str, ...], where: str) -> pd.DataFrame:
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():
            bad = frame.index[values.isna()][0]
            raise DataError(f"{where}: {column} of {bad!r} is not a number: {frame.at[bad, column]!r}")
        frame[column] = values.astype(float)
    return frame


@cache
def default_rulebook() -> RuleBook:
    """The rule book read from ``datasets/compatibility.csv`` and ``datasets/same_code_reuse.csv``."""
    return read_rulebook(read_dataset("compatibility.csv"), read_dataset("same_code_reuse.csv"))


def read_rulebook(
    rules: pd.DataFrame, same_code: pd.DataFrame, catalog: MaterialCatalog | None = None
) -> RuleBook:
    """Validate the compatibility tables and return a :class:`RuleBook`.

    Raises
    ------
    DataError
        Naming the rule and field that is wrong.
    """
    catalog = catalog or default_catalog()
    rules = rules.copy()
    if rules["rule_id"].duplicated().any():
        raise DataError(f"compatibility.csv: duplicate rule_id {rules['rule_id'][rules['rule_id'].duplicated()].iloc[0]!r}")
    rules = rules.set_index("rule_id")
    rules = _to_numeric(rules, NUMERIC_COLUMNS, "compatibility.csv")
    parsed = [_parse_offer(text, catalog, rid) for rid, text in rules["offer_material"].items()]
    rules["offer_level"] = [level for level, _ in parsed]
    rules["offer_key"] = [key for _, key in parsed]
    unknown = rules.index[~rules["need_material"].isin(catalog.classes)]
    if len(unknown):
        raise DataError(f"compatibility.csv: rule {unknown[0]!r}: need_material is not a material class")
    bad_mode = rules.index[~rules["transport_mode"].isin(TRANSPORT_MODES)]
    if len(bad_mode):
        raise DataError(f"compatibility.csv: rule {bad_mode[0]!r}: transport_mode is not one of {TRANSPORT_MODES}")
    if (rules["yield"] <= 0).any() or (rules["max_distance_km"] <= 0).any():
        raise DataError("compatibility.csv: yield and max_distance_km must be positive")
    same = same_code.set_index("rule_id")
    same = _to_numeric(same, NUMERIC_COLUMNS, "same_code_reuse.csv")
    if SAME_CODE_RULE not in same.index:
        raise DataError(f"same_code_reuse.csv has no row {SAME_CODE_RULE!r}")
    return RuleBook(rules=rules, same_code=same.loc[SAME_CODE_RULE])
