"""What a finished round stores: its proposals, its unmatched listings and its summary."""

from __future__ import annotations

import pandas as pd

from service.db.models import FLOW_COLUMNS, utcnow
from symbiosis.explain import explain_exchanges
from symbiosis.objective import Objective

#: The exchange columns a proposal stores as they are (its need quantity in canonical units is derived).
PROPOSAL_FIELDS = (*(name for name in FLOW_COLUMNS if name != "need_quantity_canonical"),
                   "rule_id", "yield", "objective_contribution")


def _stored(value: object) -> float | str | None:
    """A cell as a column stores it: numbers as floats, an unknown (NaN) as None, the rest as text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if value != value else float(value)
    return str(value)


def proposals_from(exchanges: pd.DataFrame, round_id: int, run: int, objective: Objective,
                   skip_pairs: set[tuple[str, str]]) -> list[dict]:
    """One draft proposal per exchange, as the column values of a ``proposals`` row (for one bulk
    insert), with its explanation; pairs in ``skip_pairs`` (already exchanged) are left out."""
    kept = exchanges[[(o, n) not in skip_pairs for o, n in zip(exchanges["offer_id"], exchanges["need_id"])]]
    explanations = explain_exchanges(kept, objective)
    now = utcnow()
    rows = []
    for record, text in zip(kept.to_dict("records"), explanations):
        values = {name: _stored(record[name]) for name in PROPOSAL_FIELDS}
        limit = record["max_distance_km"]
        rows.append({
            **values, "round_id": round_id, "run": run, "status": "draft",
            "max_distance_km": float(limit) if pd.notna(limit) else None,
            "need_quantity_canonical": float(record["quantity_canonical"]) * float(record["yield"]),
            "explanation": text, "version": 1, "created_at": now, "updated_at": now,
        })
    return rows


def unmatched_records(unmatched: pd.DataFrame) -> list[dict[str, str]]:
    """The unmatched listings of a round as stored with it."""
    return [
        {"listing_id": str(r["listing_id"]), "kind": str(r["kind"]), "company_id": str(r["company_id"]),
         "material": str(r["material"]), "reason": str(r["reason"])}
        for r in unmatched.reset_index().to_dict("records")
    ]


def round_summary(run_summary: dict, directives_used: int) -> dict:
    """The run summary of :func:`solvers.summary.build_summary`, with the directives the round applied."""
    summary = dict(run_summary)
    summary["counts"] = {**summary["counts"], "directives": directives_used}
    return summary
