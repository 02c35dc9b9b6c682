"""Write a matching run's files (exchanges.csv, unmatched.csv, summary.json) all or nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from symbiosis.candidates import Candidates
from symbiosis.explain import explain_exchanges
from symbiosis.impacts import EXCHANGE_COLUMNS, total_indicators
from symbiosis.registry import Registry
from symbiosis.result import MatchResult

OUTPUT_FILES = ("exchanges.csv", "unmatched.csv", "summary.json")
#: Decimals kept in the CSV files (quantities are yearly; a gram or a cent is below any data's precision).
CSV_DECIMALS = 6


def _finite(value: float) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def build_summary(
    result: MatchResult, registry: Registry, candidates: Candidates, timings: dict[str, float], parameters: dict
) -> dict:
    """The summary.json content: status, objective, bound, solver, timings, totals and counts."""
    ex = result.exchanges
    matched_offers = ex.groupby("offer_id")["quantity_canonical"].sum()
    offers = registry.offers["quantity_canonical"]
    partly = int(((matched_offers < offers.reindex(matched_offers.index) * (1 - 1e-9))).sum())
    return {
        "status": result.status.value,
        "objective": {"name": result.objective.value, "value": result.objective_value, "unit": result.objective.unit},
        "bound": _finite(result.bound),
        "gap": _finite(result.gap),
        "solver": result.solver,
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
        "totals": {k: round(v, 6) for k, v in total_indicators(ex).items()},
        "counts": {
            "companies": int(len(registry.companies)),
            "listings": int(len(registry.listings)),
            "offers": int(len(registry.offers)),
            "needs": int(len(registry.needs)),
            "candidate_arcs": int(len(candidates.arcs)),
            "exchanges": int(len(ex)),
            "unmatched_listings": int(len(result.unmatched)),
            "offers_partly_matched": partly,
        },
        "parameters": parameters,
        "solver_details": result.details,
        "notices": list(registry.notices),
    }


@contextmanager
def staged_files(out_dir: str | Path) -> Iterator[Path]:
    """Yield a staging folder beside ``out_dir``; when the block succeeds, move every file written
    there into ``out_dir`` one by one with ``os.replace``. A failure while writing leaves any
    earlier results in ``out_dir`` intact and removes the staging folder."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        yield staging
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in sorted(staging.iterdir()):
            os.replace(path, out_dir / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_outputs(result: MatchResult, summary: dict, out_dir: str | Path) -> list[Path]:
    """Write exchanges.csv, unmatched.csv and summary.json into ``out_dir`` all or nothing."""
    with staged_files(out_dir) as staging:
        exchanges = result.exchanges[list(EXCHANGE_COLUMNS)].round(CSV_DECIMALS)
        exchanges["explanation"] = explain_exchanges(result.exchanges, result.objective.unit).to_numpy()
        exchanges.to_csv(staging / "exchanges.csv", index=False)
        unmatched = result.unmatched.copy()
        unmatched["nearest_km"] = unmatched["nearest_km"].round(3)
        unmatched.to_csv(staging / "unmatched.csv", index=True)
        (staging / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [Path(out_dir) / name for name in OUTPUT_FILES]


def read_exchanges(out_dir: str | Path) -> pd.DataFrame:
    """Read back an exchanges.csv written by :func:`write_outputs`."""
    return pd.read_csv(Path(out_dir) / "exchanges.csv", dtype={"offer_id": str, "need_id": str})
