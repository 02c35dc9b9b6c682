"""Facilitator directives (lock and forbid exchanges) and objective weights, read and validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from symbiosis.errors import InputError, Problem
from symbiosis.objective import WEIGHTABLE_INDICATORS
from symbiosis.materials import MaterialCatalog, default_catalog
from symbiosis.numbers import check_locale, parse_number
from symbiosis.registry import MACHINE_LOCALE, Registry, cell_text, drop_blank_rows, read_csv_table

#: The columns of :attr:`Directives.locks` (quantities in canonical offer units; no maximum: NaN).
LOCK_COLUMNS = ["offer_id", "need_id", "min_quantity", "max_quantity", "label"]
DIRECTIVE_COLUMNS: tuple[str, ...] = ("action", "offer_id", "need_id", "supplier_id", "receiver_id", "min_quantity",
                                      "max_quantity")
WEIGHT_COLUMNS: tuple[str, ...] = ("kind", "name", "weight")


@dataclass(frozen=True)
class Directives:
    """What a facilitator imposes on a round.

    Attributes
    ----------
    locks
        Indexed 0..n-1: ``offer_id``, ``need_id``, ``min_quantity`` (canonical offer units, 0 if
        not given), ``label`` (where the lock came from, for messages).
    forbidden_pairs
        ``offer_id``, ``need_id``, ``label``.
    forbidden_companies
        ``supplier_id``, ``receiver_id``, ``label``: no exchange between them, either way.
    """

    locks: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LOCK_COLUMNS))
    forbidden_pairs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["offer_id", "need_id", "label"]))
    forbidden_companies: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["supplier_id", "receiver_id", "label"])
    )

    @property
    def empty(self) -> bool:
        return self.locks.empty and self.forbidden_pairs.empty and self.forbidden_companies.empty

    def within(self, listing_ids: pd.Index) -> Directives:
        """The directives that concern some listings alone: the locks and forbidden pairs whose offer
        is among them (a pair's need lies in the same independent part as its offer), and every
        forbidden company pair."""
        return Directives(
            locks=self.locks[self.locks["offer_id"].isin(listing_ids)].reset_index(drop=True),
            forbidden_pairs=self.forbidden_pairs[self.forbidden_pairs["offer_id"].isin(listing_ids)],
            forbidden_companies=self.forbidden_companies,
        )

    def forbidden_mask(self, offer_ids: pd.Series, need_ids: pd.Series, suppliers: pd.Series, receivers: pd.Series) -> np.ndarray:
        """True for each (offer, need, supplier, receiver) row that a forbid directive excludes."""
        pairs = pd.MultiIndex.from_arrays([offer_ids, need_ids])
        mask = pairs.isin(pd.MultiIndex.from_frame(self.forbidden_pairs[["offer_id", "need_id"]])) if len(self.forbidden_pairs) else np.zeros(len(pairs), bool)
        if len(self.forbidden_companies):
            fc = self.forbidden_companies
            both = pd.MultiIndex.from_arrays([
                pd.concat([fc["supplier_id"], fc["receiver_id"]]), pd.concat([fc["receiver_id"], fc["supplier_id"]]),
            ])
            mask = np.asarray(mask) | pd.MultiIndex.from_arrays([suppliers, receivers]).isin(both)
        return np.asarray(mask, dtype=bool)


def read_directives(
    source: str | Path | pd.DataFrame, registry: Registry, *, label: str | None = None, locale: str | None = None,
) -> Directives:
    """Validate a directives table (columns ``action``, ``offer_id``, ``need_id``, ``supplier_id``,
    ``receiver_id``, ``min_quantity``, ``max_quantity``) against a registry.

    - ``lock`` needs ``offer_id`` and ``need_id`` (an offer and a need); ``min_quantity`` (optional)
      is the least the pair carries and ``max_quantity`` (optional, at least the minimum) the most,
      both in the offer's own unit.
    - ``forbid`` takes either ``offer_id`` and ``need_id``, or ``supplier_id`` and ``receiver_id``
      (company ids; no exchange between the two companies either way).

    ``locale`` (``da`` or ``en``) is how a quantity written as text is read, as the
    listings' numbers are (:func:`symbiosis.numbers.parse_number`). Without it, a file's cell that
    reads differently in the two notations (``1.500``, ``0,5`` reads the same) is a row error naming
    both readings; a table built in code is in English notation, as programs write numbers. Fully
    blank rows are skipped (the rows of the others keep their numbers).

    Raises
    ------
    InputError
        Listing every bad row with its column and reason.
    """
    if isinstance(source, pd.DataFrame):
        frame, name = source.copy(), label or "directives"
    else:
        frame, name = read_csv_table(source), label or Path(source).name
    locale = _table_locale(frame, locale, name)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame, lines = drop_blank_rows(frame)  # the others keep their row numbers
    for column in DIRECTIVE_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    quantities = frame["min_quantity"].to_numpy(dtype=object)
    maxima = frame["max_quantity"].to_numpy(dtype=object)
    # cells as the listings' are read: an id typed as a number (10, or 10.0 in a column with gaps) is "10"
    frame = frame[list(DIRECTIVE_COLUMNS)].apply(lambda column: column.map(cell_text)).astype(str)
    frame["action"] = frame["action"].str.lower()
    listings, companies = registry.listings, registry.companies
    problems: list[Problem] = []
    locks, pairs, company_pairs = [], [], []
    for pos, row in enumerate(frame.itertuples(index=False)):
        line = int(lines[pos])
        where = f"{name} row {line}"
        bad = len(problems)
        if row.action not in ("lock", "forbid"):
            problems.append(Problem(name, line, "action", f"{row.action!r} is not lock or forbid"))
            continue
        by_pair = bool(row.offer_id or row.need_id)
        by_company = bool(row.supplier_id or row.receiver_id)
        if row.action == "lock" and not (row.offer_id and row.need_id):
            problems.append(Problem(name, line, "offer_id", "a lock needs both offer_id and need_id"))
            continue
        if by_pair == by_company or (by_pair and not (row.offer_id and row.need_id)) or (
            by_company and not (row.supplier_id and row.receiver_id)
        ):
            problems.append(Problem(name, line, None, "give offer_id and need_id, or supplier_id and receiver_id"))
            continue
        if by_pair:
            for column, kind in (("offer_id", "offer"), ("need_id", "need")):
                value = getattr(row, column)
                if value not in listings.index:
                    problems.append(Problem(name, line, column, f"{value!r} is not a listing_id"))
                elif listings.at[value, "kind"] != kind:
                    problems.append(Problem(name, line, column, f"{value!r} is a {listings.at[value, 'kind']}, not an {kind}" if kind == "offer" else f"{value!r} is an offer, not a need"))
        else:
            for column in ("supplier_id", "receiver_id"):
                value = getattr(row, column)
                if value not in companies.index:
                    problems.append(Problem(name, line, column, f"{value!r} is not a company_id"))
        def lock_quantity(column: str, raw) -> float | None:
            """A lock's quantity in ``column`` as read (None: blank, or a problem told)."""
            if not getattr(row, column):
                return None
            if row.action != "lock":
                problems.append(Problem(name, line, column, f"only a lock takes a {column}"))
                return None
            try:
                return _non_negative(raw, locale)
            except ValueError as exc:
                problems.append(Problem(name, line, column, str(exc)))
                return None

        quantity = lock_quantity("min_quantity", quantities[pos]) or 0.0
        most = lock_quantity("max_quantity", maxima[pos])
        if most is not None and most <= 0:
            problems.append(Problem(name, line, "max_quantity", "must be more than 0 (to keep the pair out, forbid it)"))
        elif most is not None and most < quantity:
            problems.append(Problem(name, line, "max_quantity", f"{most:g} is less than the min_quantity {quantity:g}"))
        most = float("nan") if most is None else most
        if len(problems) > bad:
            continue
        if row.action == "lock":
            factor = listings.at[row.offer_id, "unit_factor"]
            locks.append({"offer_id": row.offer_id, "need_id": row.need_id, "min_quantity": quantity * factor,
                          "max_quantity": most * factor, "label": where})
        elif by_pair:
            pairs.append({"offer_id": row.offer_id, "need_id": row.need_id, "label": where})
        else:
            company_pairs.append({"supplier_id": row.supplier_id, "receiver_id": row.receiver_id, "label": where})
    result = Directives(
        locks=pd.DataFrame(locks, columns=LOCK_COLUMNS),
        forbidden_pairs=pd.DataFrame(pairs, columns=["offer_id", "need_id", "label"]),
        forbidden_companies=pd.DataFrame(company_pairs, columns=["supplier_id", "receiver_id", "label"]),
    )
    if not problems and len(result.locks):
        clash = result.forbidden_mask(
            result.locks["offer_id"], result.locks["need_id"],
            listings.loc[result.locks["offer_id"], "company_id"].to_numpy(),
            listings.loc[result.locks["need_id"], "company_id"].to_numpy(),
        )
        for label in result.locks.loc[clash, "label"]:
            problems.append(Problem(name, int(label.rsplit(" ", 1)[1]), None, "this lock is also forbidden by a forbid directive"))
        duplicated = result.locks.duplicated(["offer_id", "need_id"])
        for label in result.locks.loc[duplicated, "label"]:
            problems.append(Problem(name, int(label.rsplit(" ", 1)[1]), None, "the same pair is locked twice"))
    if problems:
        raise InputError(problems)
    return result


@dataclass(frozen=True)
class Weights:
    """Priorities of a region: per indicator (replacing the objective's own) and per material."""

    indicators: dict[str, float] = field(default_factory=dict)
    materials: dict[str, float] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.indicators and not self.materials


def read_weights(
    source: str | Path | pd.DataFrame, catalog: MaterialCatalog | None = None, *, locale: str | None = None,
) -> Weights:
    """Validate a weights table: columns ``kind`` (``indicator`` or ``material``), ``name``, ``weight``.

    An indicator weight sets that indicator's weight in the objective (names:
    ``resource_t``, ``water_m3``, ``co2e_t``, ``energy_mwh``, ``waste_t``, ``value_eur``); a material
    weight (a class id or EWC code) multiplies the contribution of exchanges of that material,
    offered or needed. ``locale`` reads a weight written as text as in :func:`read_directives`;
    fully blank rows are skipped.

    Raises
    ------
    InputError
        Listing every bad row.
    """
    catalog = catalog or default_catalog()
    frame = source.copy() if isinstance(source, pd.DataFrame) else read_csv_table(source)
    name = "weights" if isinstance(source, pd.DataFrame) else Path(source).name
    locale = _table_locale(frame, locale, name)
    problems: list[Problem] = []
    for column in WEIGHT_COLUMNS:
        if column not in frame.columns:
            problems.append(Problem(name, None, column, "required column is missing"))
    if problems:
        raise InputError(problems)
    indicators: dict[str, float] = {}
    materials: dict[str, float] = {}
    frame, lines = drop_blank_rows(frame)  # the others keep their row numbers
    weights = frame["weight"].to_numpy(dtype=object)
    for pos, row in enumerate(frame[list(WEIGHT_COLUMNS)].apply(lambda column: column.map(cell_text))
                              .itertuples(index=False)):
        line = int(lines[pos])
        try:
            weight = _non_negative(weights[pos], locale)
        except ValueError as exc:
            problems.append(Problem(name, line, "weight", str(exc)))
            continue
        kind = row.kind.strip().lower()
        if kind == "indicator":
            if row.name.strip() not in WEIGHTABLE_INDICATORS:
                problems.append(Problem(name, line, "name", f"{row.name!r} is not one of {', '.join(WEIGHTABLE_INDICATORS)}"))
            else:
                indicators[row.name.strip()] = weight
        elif kind == "material":
            try:
                materials[catalog.normalise(row.name)] = weight
            except ValueError as exc:
                problems.append(Problem(name, line, "name", str(exc)))
        else:
            problems.append(Problem(name, line, "kind", f"{row.kind!r} is not indicator or material"))
    if problems:
        raise InputError(problems)
    return Weights(indicators=indicators, materials=materials)


def _table_locale(frame: pd.DataFrame, locale: str | None, name: str) -> str | None:
    """The locale in which a table's numbers written as text are read: ``locale``; else, for a table
    not read from a file (built in code), English notation, as programs write numbers; else None."""
    try:
        locale = check_locale(locale)
    except ValueError as exc:
        raise InputError([Problem(name, None, None, str(exc))]) from None
    if locale is None and frame.attrs.get("origin") != "file":
        return MACHINE_LOCALE
    return locale


def _non_negative(cell, locale: str | None) -> float:
    """The finite, non-negative number of a cell: a number as it is, text read in ``locale`` by
    :func:`symbiosis.numbers.parse_number`.

    Raises
    ------
    ValueError
        Naming the cell, when it is no number (or ambiguous without a locale), negative or not finite.
    """
    if isinstance(cell, (int, float, np.number)) and not isinstance(cell, (bool, np.bool_)):
        value, text = float(cell), cell
    else:
        text = "" if cell is None else str(cell).strip()
        value = parse_number(text, locale)
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"{text!r} is not a non-negative number")
    return value
