"""Documented industrial parks as benchmarks: does the engine propose the exchanges they really run?

Usage: python benchmarks/cases.py [--cases kalundborg kwinana ...] [--objectives diverted co2 value]
                                  [--json FILE]

Each folder under ``datasets/cases/`` with a ``documented.csv`` is one case: the park's companies
and listings in the input contract and the exchanges it is documented to run (supplier and
receiver company, the offer listing and the need listing). For every case and objective the
script runs the engine and prints

- recall: the share of documented exchanges the engine proposes (an exchange counts when the
  engine proposes an exchange between the same offer listing and need listing);
- documented share: the share of the engine's proposals that are documented exchanges;
- every miss, with the engine's reason for each of its two listings (the unmatched reason, or
  the exchanges the listing went to instead).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES_DIR = ROOT / "datasets" / "cases"
OBJECTIVES = ("diverted", "co2", "value")


def run_engine(companies: Path, listings: Path, objective: str):
    """Run the engine on one case's input files and return its match result.

    The only place this script calls the engine, so that a renamed entry point changes one line.
    """
    from service.files import match_files
    from solvers.params import SolveParams

    return match_files(companies=companies, listings=listings, solve_params=SolveParams(objective=objective)).match.result


def case_names() -> list[str]:
    """The cases under ``datasets/cases/`` that have documented exchanges, sorted by name."""
    return sorted(p.parent.name for p in CASES_DIR.glob("*/documented.csv"))


def read_documented(case: str) -> pd.DataFrame:
    """A case's documented exchanges (columns supplier_id, receiver_id, material, offer_id, need_id, source)."""
    return pd.read_csv(CASES_DIR / case / "documented.csv", dtype=str, keep_default_na=False)


@dataclass
class Score:
    """How one run compares with a case's documented exchanges."""

    case: str
    objective: str
    documented: int
    proposed: int
    found: int
    proposed_documented: int
    misses: list[dict] = field(default_factory=list)
    undocumented: list[dict] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.documented if self.documented else float("nan")

    @property
    def documented_share(self) -> float:
        return self.proposed_documented / self.proposed if self.proposed else float("nan")


def _listing_fate(listing_id: str, result, column: str, other: str) -> str:
    """What the engine did with one listing: its unmatched reason or the partners it went to."""
    unmatched = result.unmatched
    if listing_id in unmatched.index:
        return f"unmatched: {unmatched.at[listing_id, 'reason']}"
    partners = result.exchanges.loc[result.exchanges[column] == listing_id, other].tolist()
    if partners:
        return "matched instead with " + ", ".join(partners)
    return "not in the result"


def score(case: str, objective: str, result) -> Score:
    """Compare one match result with the case's documented exchanges."""
    documented = read_documented(case)
    proposed = result.exchanges[["offer_id", "need_id", "supplier_id", "receiver_id", "material", "rule_id"]]
    proposed_pairs = set(zip(proposed["offer_id"], proposed["need_id"]))
    documented_pairs = set(zip(documented["offer_id"], documented["need_id"]))
    misses = []
    for row in documented.itertuples(index=False):
        if (row.offer_id, row.need_id) in proposed_pairs:
            continue
        misses.append({
            "offer_id": row.offer_id, "need_id": row.need_id, "material": row.material,
            "offer": _listing_fate(row.offer_id, result, "offer_id", "need_id"),
            "need": _listing_fate(row.need_id, result, "need_id", "offer_id"),
        })
    undocumented = [
        {"offer_id": r.offer_id, "need_id": r.need_id, "material": r.material, "rule_id": r.rule_id}
        for r in proposed.itertuples(index=False) if (r.offer_id, r.need_id) not in documented_pairs
    ]
    return Score(
        case=case, objective=objective, documented=len(documented_pairs), proposed=len(proposed_pairs),
        found=len(documented_pairs & proposed_pairs), proposed_documented=len(proposed_pairs & documented_pairs),
        misses=misses, undocumented=undocumented,
    )


def evaluate(case: str, objective: str) -> Score:
    """Run the engine on one case under one objective and score it."""
    folder = CASES_DIR / case
    return score(case, objective, run_engine(folder / "companies.csv", folder / "listings.csv", objective))


def _print_score(s: Score, verbose: bool) -> None:
    print(f"\n== {s.case} / {s.objective}: recall {s.found}/{s.documented} = {s.recall:.0%}, "
          f"documented share of proposals {s.proposed_documented}/{s.proposed} = {s.documented_share:.0%}")
    for m in s.misses:
        print(f"  MISS {m['offer_id']} -> {m['need_id']} ({m['material']})")
        print(f"       offer: {m['offer']}")
        print(f"       need:  {m['need']}")
    if verbose:
        for u in s.undocumented:
            print(f"  NOT DOCUMENTED {u['offer_id']} -> {u['need_id']} ({u['material']}, rule {u['rule_id']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=None, help="case folder names (default: all)")
    parser.add_argument("--objectives", nargs="*", default=list(OBJECTIVES), choices=OBJECTIVES)
    parser.add_argument("--json", type=Path, default=None, help="also write the scores to this JSON file")
    parser.add_argument("--quiet", action="store_true", help="do not list the undocumented proposals")
    args = parser.parse_args(argv)
    cases = args.cases or case_names()
    unknown = sorted(set(cases) - set(case_names()))
    if unknown:
        parser.error(f"no documented case named {unknown}; available: {case_names()}")
    scores = [evaluate(case, objective) for case in cases for objective in args.objectives]
    for s in scores:
        _print_score(s, verbose=not args.quiet)
    print("\ncase           objective  recall          documented share of proposals")
    for s in scores:
        print(f"{s.case:<14} {s.objective:<10} {s.found:>3}/{s.documented:<3} {s.recall:>5.0%}   "
              f"{s.proposed_documented:>3}/{s.proposed:<3} {s.documented_share:>5.0%}")
    for objective in args.objectives:
        mine = [s for s in scores if s.objective == objective]
        found, documented = sum(s.found for s in mine), sum(s.documented for s in mine)
        hits, proposed = sum(s.proposed_documented for s in mine), sum(s.proposed for s in mine)
        print(f"{'all cases':<14} {objective:<10} {found:>3}/{documented:<3} {found / max(documented, 1):>5.0%}   "
              f"{hits:>3}/{proposed:<3} {hits / max(proposed, 1):>5.0%}")
    if args.json is not None:
        args.json.write_text(json.dumps([
            {**{k: v for k, v in vars(s).items()}, "recall": s.recall, "documented_share": s.documented_share}
            for s in scores
        ], indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
