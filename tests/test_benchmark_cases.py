"""benchmarks/cases.py: scoring a match result against a case's documented exchanges."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from benchmarks.cases import case_names, evaluate, read_documented, score


def _result(pairs, unmatched):
    exchanges = pd.DataFrame(
        [{"offer_id": o, "need_id": n, "supplier_id": "s", "receiver_id": "r", "material": "m", "rule_id": "x"}
         for o, n in pairs],
        columns=["offer_id", "need_id", "supplier_id", "receiver_id", "material", "rule_id"],
    )
    table = pd.DataFrame(
        [{"listing_id": k, "reason": v} for k, v in unmatched.items()], columns=["listing_id", "reason"]
    ).set_index("listing_id")
    return SimpleNamespace(exchanges=exchanges, unmatched=table)


def test_score_counts_recall_documented_share_and_explains_misses():
    documented = read_documented("kwinana")
    first, second = documented.iloc[0], documented.iloc[1]
    result = _result(
        [(first.offer_id, first.need_id), (second.offer_id, "someone-else")],
        {second.need_id: "no compatible partner within reach"},
    )
    s = score("kwinana", "diverted", result)
    assert (s.documented, s.proposed, s.found, s.proposed_documented) == (len(documented), 2, 1, 1)
    assert s.recall == 1 / len(documented)
    assert s.documented_share == 0.5
    miss = next(m for m in s.misses if (m["offer_id"], m["need_id"]) == (second.offer_id, second.need_id))
    assert miss["offer"] == "matched instead with someone-else"
    assert miss["need"] == "unmatched: no compatible partner within reach"
    assert len(s.misses) == len(documented) - 1
    assert s.undocumented == [{"offer_id": second.offer_id, "need_id": "someone-else", "material": "m", "rule_id": "x"}]


def test_evaluate_runs_the_engine_on_a_case():
    assert "kalundborg" in case_names()
    s = evaluate("kalundborg", "diverted")
    assert 0 <= s.found <= s.documented == len(read_documented("kalundborg"))
    assert s.proposed > 0
    for miss in s.misses:
        assert miss["offer"] and miss["need"]
