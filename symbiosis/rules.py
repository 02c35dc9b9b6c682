"""Compatibility knowledge: which offered material can serve which need, with yields and factors."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from symbiosis.data import read_dataset
from symbiosis.errors import DataError
from symbiosis.materials import MaterialCatalog, default_catalog
from symbiosis.schema import TRANSPORT_MODES

#: Per-unit factors every rule carries, per canonical unit of offer exchanged. An empty cell in the
#: data file means "unknown" and is read as NaN; 0 is written only where the factor does not apply.
FACTOR_COLUMNS: tuple[str, ...] = ("resource_t", "water_m3", "co2e_t", "energy_mwh", "waste_t", "value_eur")
#: Numbers every rule must state (never unknown).
REQUIRED_COLUMNS: tuple[str, ...] = ("yield", "max_distance_km")
NUMERIC_COLUMNS: tuple[str, ...] = (*REQUIRED_COLUMNS, *FACTOR_COLUMNS)
#: Optional rule columns: the treatment step a rule needs to serve a higher grade, and its cost in
#: EUR per canonical unit of offer (empty: unknown). The treatment's yield is the rule's ``yield``.
TREATMENT_COLUMN = "treatment"
TREATMENT_COST_COLUMN = "treatment_eur"
#: How specific a rule's offer_material is: an exact code beats a sub-chapter beats a chapter.
SPECIFICITY = {"class": 3, "code": 3, "subchapter": 2, "chapter": 1, "same-code": 4, "same-class": 2}
SAME_CODE_RULE = "same-ewc-code"
#: Direct use of a material class by a company that needs the very same class (gypsum to gypsum),
#: for classes measured by mass that no rule of compatibility.csv pairs with themselves; its row in
#: ``same_code_reuse.csv`` is optional (a region's own rules without it have no such rule).
SAME_CLASS_RULE = "same-material-class"


@dataclass(frozen=True)
class RuleBook:
    """The compatibility table and the direct-reuse (same EWC code) rule.

    ``rules`` is indexed by ``rule_id`` and has ``offer_material``, ``offer_level`` (class, code,
    subchapter or chapter), ``offer_key`` (the id, the code, or its 2/4-digit prefix),
    ``need_material``, the numeric columns, ``transport_mode``, ``quality_note`` and ``source``.
    """

    rules: pd.DataFrame
    same_code: pd.Series
    same_class: pd.Series | None = None
    #: The classes the same-class rule serves: those measured by mass.
    same_class_materials: frozenset[str] = frozenset()

    def match_offers(self, materials: pd.Index | list[str]) -> pd.DataFrame:
        """Return, for each distinct offered material, the most specific rule per need material.

        Columns: ``offer_material``, ``need_material``, ``rule_id``. EWC offers also pair with
        needs for the very same code through the same-code rule, and offers of a class measured by
        mass with needs for the same class through the same-class rule (where no rule of the table
        pairs the class with itself).
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
                if self.same_class is not None and material in self.same_class_materials:
                    rows.append((material, material, SAME_CLASS_RULE, SPECIFICITY["same-class"]))
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
        """All rules including the same-code rule, indexed by rule_id (numeric columns as floats).

        Unknown factors are NaN.
        """
        same = pd.DataFrame([self.same_code])
        same.index.name = "rule_id"
        same["offer_material"] = "(the need's own EWC code)"
        same["need_material"] = "(the offer's own EWC code)"
        parts = [self.rules, same]
        if self.same_class is not None:
            own = pd.DataFrame([self.same_class])
            own.index.name = "rule_id"
            own["offer_material"] = "(the need's own material class)"
            own["need_material"] = "(the offer's own material class)"
            parts.append(own)
        table = pd.concat(parts)
        table[list(NUMERIC_COLUMNS)] = table[list(NUMERIC_COLUMNS)].astype(float)
        table[TREATMENT_COLUMN] = table[TREATMENT_COLUMN].fillna("")
        table[TREATMENT_COST_COLUMN] = table[TREATMENT_COST_COLUMN].astype(float)
        return table

    def unknown_factors(self) -> pd.DataFrame:
        """Which factors are unknown, per rule (the same-code and same-class rules included).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``rule_id``, one boolean column per factor of :data:`FACTOR_COLUMNS` (True
            where the data file leaves the factor empty), only rules with at least one unknown.
        """
        table = self.rule_table()[list(FACTOR_COLUMNS)].isna()
        return table[table.any(axis=1)]

    def unknown_factor_report(self) -> dict[str, list[str]]:
        """``{rule_id: [unknown factor, ...]}`` for every rule with an unknown factor."""
        table = self.unknown_factors()
        return {rule_id: [c for c in FACTOR_COLUMNS if row[c]] for rule_id, row in table.iterrows()}

    def unknown_factor_markdown(self) -> str:
        """The datasets README's summary of unknown factors: counts, and the rules grouped by the
        set of factors they leave unknown (largest group first)."""
        unknown = self.unknown_factors()
        total = len(self.rule_table())
        per_factor = ", ".join(f"{c} {int(unknown[c].sum())}" for c in FACTOR_COLUMNS)
        lines = [
            f"{len(unknown)} of the {total} rules (the same-code and same-class rules included) have at least one "
            "unknown factor; "
            f"per factor: {per_factor}. Rules by the set of factors left unknown (generated from the rule book):",
            "", "| unknown factors | rules | count |", "| --- | --- | --- |",
        ]
        groups = unknown.apply(lambda row: ", ".join(c for c in FACTOR_COLUMNS if row[c]), axis=1)
        for names, members in sorted(groups.groupby(groups), key=lambda g: (-len(g[1]), g[0])):
            rules = ", ".join(f"`{r}`" for r in sorted(members.index))
            lines.append(f"| {names} | {rules} | {len(members)} |")
        return "\n".join(lines)

    def rule_for(self, offer_material: str, need_material: str) -> str | None:
        """The rule id the engine uses for one offer material and one need class, or None.

        ``offer_material`` is a class id or an EWC code written with spaces (``10 01 02``).
        """
        hit = self.match_offers([offer_material])
        hit = hit[hit["need_material"] == need_material]
        return None if hit.empty else str(hit["rule_id"].iloc[0])


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


def _to_numeric(frame: pd.DataFrame, columns: tuple[str, ...], where: str, *, unknown_ok: bool = False) -> pd.DataFrame:
    """Turn text columns into floats; an empty cell is NaN ("unknown") where ``unknown_ok``."""
    for column in columns:
        if column not in frame.columns:
            raise DataError(f"{where}: column {column!r} is missing")
        text = frame[column].astype(str).str.strip()
        text = text.where(~frame[column].isna(), "")
        values = pd.to_numeric(text.where(text != "", None), errors="coerce")
        bad = values.isna() & ((text != "") | (not unknown_ok))
        if bad.any():
            rid = frame.index[bad][0]
            what = "is empty (it must be a number)" if text[rid] == "" else f"is not a number: {text[rid]!r}"
            raise DataError(f"{where}: rule {rid!r}, column {column!r} {what}")
        frame[column] = values.astype(float)
    return frame


def _with_treatment(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Add the optional treatment columns (empty when the file has none)."""
    if TREATMENT_COLUMN not in frame.columns:
        frame[TREATMENT_COLUMN] = ""
    frame[TREATMENT_COLUMN] = frame[TREATMENT_COLUMN].fillna("").astype(str).str.strip()
    if TREATMENT_COST_COLUMN not in frame.columns:
        frame[TREATMENT_COST_COLUMN] = ""
    return _to_numeric(frame, (TREATMENT_COST_COLUMN,), where, unknown_ok=True)


def _check_grades(rules: pd.DataFrame, catalog: MaterialCatalog) -> None:
    """A class rule never serves a higher grade of the same family unless it names a treatment."""
    for rule_id, row in rules[rules["offer_level"] == "class"].iterrows():
        offer, need = catalog.classes[row["offer_key"]], catalog.classes[row["need_material"]]
        if offer.grade_family is None or offer.grade_family != need.grade_family:
            continue
        if offer.grade_rank < need.grade_rank and not row[TREATMENT_COLUMN]:
            raise DataError(
                f"compatibility.csv: rule {rule_id!r} serves {need.key!r} (grade {need.grade_rank}) from "
                f"{offer.key!r} (grade {offer.grade_rank}) of the {offer.grade_family} family without "
                "naming a treatment step in the 'treatment' column"
            )


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
    rules = _to_numeric(rules, REQUIRED_COLUMNS, "compatibility.csv")
    rules = _to_numeric(rules, FACTOR_COLUMNS, "compatibility.csv", unknown_ok=True)
    rules = _with_treatment(rules, "compatibility.csv")
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
    _check_grades(rules, catalog)
    same = same_code.set_index("rule_id")
    same = _to_numeric(same, REQUIRED_COLUMNS, "same_code_reuse.csv")
    same = _to_numeric(same, FACTOR_COLUMNS, "same_code_reuse.csv", unknown_ok=True)
    same = _with_treatment(same, "same_code_reuse.csv")
    if SAME_CODE_RULE not in same.index:
        raise DataError(f"same_code_reuse.csv has no row {SAME_CODE_RULE!r}")
    unknown_rows = [rid for rid in same.index if rid not in (SAME_CODE_RULE, SAME_CLASS_RULE)]
    if unknown_rows:
        raise DataError(f"same_code_reuse.csv: row {unknown_rows[0]!r} is neither {SAME_CODE_RULE!r} nor "
                        f"{SAME_CLASS_RULE!r}")
    if ((same["yield"] <= 0) | (same["max_distance_km"] <= 0)).any():
        raise DataError("same_code_reuse.csv: yield and max_distance_km must be positive")
    for name, table in (("compatibility.csv", rules), ("same_code_reuse.csv", same)):
        # Exchanges store what they divert: 0 where the material is no waste, never unknown.
        unstated = table.index[table["waste_t"].isna()]
        if len(unstated):
            raise DataError(f"{name}: rule {unstated[0]!r}: waste_t is empty; state it (0 where the material is "
                            "no waste: a product, by-product, heat or water)")
    paired = set(rules.loc[(rules["offer_level"] == "class") & (rules["offer_key"] == rules["need_material"]),
                           "offer_key"])
    by_mass = frozenset(key for key, material in catalog.classes.items()
                        if material.dimension == "mass" and key not in paired)
    same_class = same.loc[SAME_CLASS_RULE] if SAME_CLASS_RULE in same.index else None
    return RuleBook(rules=rules, same_code=same.loc[SAME_CODE_RULE], same_class=same_class,
                    same_class_materials=by_mass if same_class is not None else frozenset())
