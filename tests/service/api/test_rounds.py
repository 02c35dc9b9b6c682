"""The round life-cycle: create, run, send, accept/decline, exchange, re-run, and robustness."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select, text

from service.db.models import Proposal, Round
from service.rounds import proposals, runner
from tests.helpers import create_app_client

V1 = "/api/v1"


def _run_round(region, body: dict | None = None) -> dict:
    response = region.api.client.post(f"{V1}/rounds", json=body or {"name": "Kalundborg spring"},
                                      headers=region.facilitator)
    assert response.status_code == 202, response.text
    assert response.json()["status"] in ("queued", "running", "succeeded")
    return region.api.wait(response.json()["id"], region.facilitator)


def _proposals(region, headers, **params) -> list[dict]:
    response = region.api.client.get(f"{V1}/proposals", params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _pair(p: dict) -> tuple[str, str]:
    return p["offer_id"], p["need_id"]


def test_round_proposes_exchanges_with_explanations_and_indicators(region):
    round_ = _run_round(region)
    assert round_["status"] == "succeeded", round_["message"]
    assert round_["progress"] == 1.0 and round_["runs"] == 1
    assert round_["summary"]["counts"]["listings"] == 3
    proposals = _proposals(region, region.facilitator, round_id=round_["id"])
    assert {_pair(p) for p in proposals} == {("asnaes-gypsum", "gyproc-gypsum"), ("asnaes-gypsum", "boardco-gypsum")}
    by_need = {p["need_id"]: p for p in proposals}
    assert by_need["gyproc-gypsum"]["quantity"] == pytest.approx(100000)
    assert by_need["boardco-gypsum"]["quantity"] == pytest.approx(30000)
    for p in proposals:
        assert p["status"] == "draft"
        assert p["indicators"]["waste_t"] > 0 and "rule" in p["explanation"]
    assert round_["summary"]["totals"]["waste_t"] == pytest.approx(
        sum(p["indicators"]["waste_t"] for p in proposals), rel=1e-6)


def test_companies_see_proposals_only_once_sent_and_counterpart_stays_anonymous_until_both_accept(region):
    api, fac, keys = region.api, region.facilitator, region.companies
    round_id = _run_round(region)["id"]
    assert _proposals(region, keys["gyproc"]) == []  # drafts are the facilitator's
    assert api.client.post(f"{V1}/rounds/{round_id}/send", headers=fac).json() == {"sent": 2}

    mine = _proposals(region, keys["gyproc"])
    assert len(mine) == 1
    seen = mine[0]
    assert seen["side"] == "receiver" and seen["your_listing_id"] == "gyproc-gypsum"
    assert seen["counterpart"]["nace_branch"] == "35"
    assert seen["counterpart"]["municipality"] == "Kalundborg"
    assert seen["counterpart"]["distance_km"] > 0
    assert seen["counterpart"]["company_id"] is None and seen["counterpart"]["name"] is None
    # what a page needs to word the explanation in its own language, and no distance limit: it may be the other side's
    assert seen["rule_id"] and seen["yield"] == 1.0 and "max_distance_km" not in seen
    assert " km limit" not in seen["explanation"] and "serves a need for" in seen["explanation"]
    text = json.dumps(seen)
    assert "asnaes" not in text.lower() and "Asnæs" not in text

    accepted = api.client.post(f"{V1}/proposals/{seen['id']}/accept", headers=keys["gyproc"])
    assert accepted.status_code == 200 and accepted.json()["status"] == "sent"
    assert accepted.json()["counterpart"]["name"] is None  # one side is not enough
    supplier_view = api.client.post(f"{V1}/proposals/{seen['id']}/accept", headers=keys["asnaes"]).json()
    assert supplier_view["status"] == "accepted"
    assert supplier_view["counterpart"]["company_id"] == "gyproc"
    assert supplier_view["counterpart"]["name"] == "Gyproc plasterboard"
    after = api.client.get(f"{V1}/proposals/{seen['id']}", headers=keys["gyproc"]).json()
    assert after["counterpart"]["company_id"] == "asnaes"

    # Another company never sees it.
    assert api.client.get(f"{V1}/proposals/{seen['id']}", headers=keys["boardco"]).status_code == 404


def test_full_life_cycle_accept_decline_exchange_rerun_and_later_round(region):
    api, fac, keys = region.api, region.facilitator, region.companies
    round_id = _run_round(region)["id"]
    api.client.post(f"{V1}/rounds/{round_id}/send", headers=fac)
    by_need = {p["need_id"]: p for p in _proposals(region, fac, round_id=round_id)}
    gyproc, boardco = by_need["gyproc-gypsum"], by_need["boardco-gypsum"]

    # Accepting a draft or someone else's proposal is not possible; the facilitator cannot decide for them.
    assert api.client.post(f"{V1}/proposals/{gyproc['id']}/accept", headers=keys["boardco"]).status_code == 404
    assert api.client.post(f"{V1}/proposals/{gyproc['id']}/accept", headers=fac).status_code == 403

    for company in ("asnaes", "gyproc"):
        assert api.client.post(f"{V1}/proposals/{gyproc['id']}/accept", headers=keys[company]).status_code == 200
    declined = api.client.post(f"{V1}/proposals/{boardco['id']}/decline", headers=keys["boardco"])
    assert declined.json()["status"] == "declined"
    # A decided proposal cannot be turned around.
    assert api.client.post(f"{V1}/proposals/{boardco['id']}/accept", headers=keys["asnaes"]).status_code == 409

    exchanges = api.client.get(f"{V1}/exchanges", headers=fac).json()
    assert exchanges["count"] == 1
    exchange = exchanges["data"][0]
    assert (exchange["offer_id"], exchange["need_id"], exchange["status"]) == ("asnaes-gypsum", "gyproc-gypsum", "active")
    assert exchange["quantity"] == pytest.approx(100000)
    assert set(exchange["indicators"]) >= {"resource_t", "water_m3", "co2e_t", "energy_mwh", "waste_t"}
    offer = api.client.get(f"{V1}/listings/asnaes-gypsum", headers=keys["asnaes"]).json()
    assert offer["open_quantity"] == pytest.approx(50000)
    assert api.client.get(f"{V1}/exchanges", headers=keys["boardco"]).json()["count"] == 0

    # Re-run: the exchange stays (a lock), the declined pair is forbidden, open proposals are superseded.
    rerun = api.client.post(f"{V1}/rounds/{round_id}/run", headers=fac)
    assert rerun.status_code == 202
    again = api.wait(round_id, fac)
    assert again["status"] == "succeeded", again["message"]
    assert again["runs"] == 2
    second = [p for p in _proposals(region, fac, round_id=round_id) if p["run"] == 2]
    assert ("asnaes-gypsum", "gyproc-gypsum") not in {_pair(p) for p in second}  # already an exchange
    statuses = {p["id"]: p["status"] for p in _proposals(region, fac, round_id=round_id)}
    assert statuses[gyproc["id"]] == "accepted" and statuses[boardco["id"]] == "declined"
    assert api.client.get(f"{V1}/exchanges", headers=fac).json()["count"] == 1
    offered = sum(p["quantity"] for p in second if p["offer_id"] == "asnaes-gypsum")
    assert offered + exchange["quantity"] <= 150000 * (1 + 1e-9)

    # A later round sees only what the exchange left open.
    later = _run_round(region, {"name": "autumn"})
    assert later["status"] == "succeeded", later["message"]
    later_proposals = _proposals(region, fac, round_id=later["id"])
    assert "gyproc-gypsum" not in {p["need_id"] for p in later_proposals}
    assert sum(p["quantity"] for p in later_proposals if p["offer_id"] == "asnaes-gypsum") <= 50000 * (1 + 1e-9)

    totals = api.client.get(f"{V1}/exchanges/totals", params={"by": "round"}, headers=fac).json()
    assert [row["key"] for row in totals["data"]] == [round_id]
    assert totals["total"]["waste_t"] == pytest.approx(exchange["indicators"]["waste_t"])

    # Ending the exchange opens the quantity again.
    ended = api.client.post(f"{V1}/exchanges/{exchange['id']}/end", headers=keys["gyproc"])
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert api.client.get(f"{V1}/listings/asnaes-gypsum", headers=fac).json()["open_quantity"] == pytest.approx(150000)

    assert ("asnaes-gypsum", "boardco-gypsum") not in {_pair(p) for p in second}


def _active_exchange(region) -> None:
    """Asnæs's gypsum to Gyproc, accepted by both: an active exchange."""
    api, fac, keys = region.api, region.facilitator, region.companies
    round_id = _run_round(region)["id"]
    api.client.post(f"{V1}/rounds/{round_id}/send", headers=fac)
    [proposal] = [p for p in _proposals(region, fac, round_id=round_id) if p["need_id"] == "gyproc-gypsum"]
    for company in ("asnaes", "gyproc"):
        assert api.client.post(f"{V1}/proposals/{proposal['id']}/accept", headers=keys[company]).status_code == 200


@pytest.mark.parametrize(("listing", "change", "named"), [
    ("gyproc-gypsum", {"kind": "offer"}, "kind"),
    ("gyproc-gypsum", {"material": "10 01 07"}, "material"),
    ("asnaes-gypsum", {"material": "steam", "unit": "MWh/yr", "quantity": 200000}, "material and unit"),
])
def test_a_listing_in_an_active_exchange_keeps_its_kind_material_and_unit(region, listing, change, named):
    api, keys = region.api, region.companies
    _active_exchange(region)
    owner = keys[listing.split("-")[0]]
    before = api.client.get(f"{V1}/listings/{listing}", headers=owner).json()
    answer = api.client.patch(f"{V1}/listings/{listing}", headers={**owner, "If-Match": f'"{before["version"]}"'},
                              json=change)
    assert answer.status_code == 409, answer.text
    assert f"end them before changing its {named}" in answer.text
    assert api.client.get(f"{V1}/listings/{listing}", headers=owner).json() == before
    # Within the same dimension, and what the exchange leaves alone, may change.
    more = api.client.patch(f"{V1}/listings/{listing}", headers={**owner, "If-Match": f'"{before["version"]}"'},
                            json={"unit": "kt/yr", "quantity": before["quantity"] / 1000, "description": "dry"})
    assert more.status_code == 200, more.text


def test_an_import_neither_moves_a_listing_to_another_company_nor_changes_one_in_an_active_exchange(region):
    api, fac, keys = region.api, region.facilitator, region.companies
    _active_exchange(region)
    companies = ("company_id,name,nace,lat,lon,municipality\n"
                 "asnaes,Asnæs Power Station,35.11,55.6626,11.0808,Kalundborg\n"
                 "gyproc,Gyproc plasterboard,23.62,55.683,11.108,Kalundborg\nacme,Acme,23.62,55.6,11.1,Kalundborg\n")
    listings = ("listing_id,company_id,kind,material,quantity,unit\n"
                "asnaes-gypsum,acme,offer,10 01 05,150000,t/yr\n"
                "gyproc-gypsum,gyproc,offer,gypsum,100000,t/yr\n"
                "boardco-gypsum,acme,need,gypsum,30000,t/yr\n"
                "acme-new,acme,need,gypsum,10,t/yr\n")
    answer = api.client.post(f"{V1}/imports", headers=fac, files={"companies": ("companies.csv", companies),
                                                                  "listings": ("listings.csv", listings)})
    assert answer.status_code == 422, answer.text
    found = {(e["row"], e["column"]) for e in answer.json()["errors"]}
    assert found == {(2, "company_id"), (3, "kind"), (4, "company_id")}
    assert "belongs to company 'asnaes'" in answer.text
    # Nothing was written: the supplier still sees its listing, and no new company or listing exists.
    assert api.client.get(f"{V1}/listings/asnaes-gypsum", headers=keys["asnaes"]).status_code == 200
    assert api.client.get(f"{V1}/companies/acme", headers=fac).status_code == 404
    assert api.client.get(f"{V1}/listings/acme-new", headers=fac).status_code == 404


def _sent(region, body: dict | None = None) -> dict[str, dict]:
    """A round run and sent: its proposals by need."""
    round_id = _run_round(region, body)["id"]
    region.api.client.post(f"{V1}/rounds/{round_id}/send", headers=region.facilitator)
    return {p["need_id"]: p for p in _proposals(region, region.facilitator, round_id=round_id)}


def test_a_proposal_whose_listing_changed_side_or_material_cannot_start_and_names_no_other_listing(region):
    api, keys = region.api, region.companies
    proposal = _sent(region)["boardco-gypsum"]
    listing = api.client.get(f"{V1}/listings/boardco-gypsum", headers=keys["boardco"]).json()
    changed = api.client.patch(f"{V1}/listings/boardco-gypsum", headers={**keys["boardco"], "If-Match": f'"{listing["version"]}"'},
                               json={"material": "steam", "unit": "MWh/yr", "quantity": 90000})
    assert changed.status_code == 200, changed.text
    assert api.client.post(f"{V1}/proposals/{proposal['id']}/accept", headers=keys["boardco"]).status_code == 200
    refused = api.client.post(f"{V1}/proposals/{proposal['id']}/accept", headers=keys["asnaes"])
    assert refused.status_code == 409, refused.text
    assert "the other side's listing was changed" in refused.text and "boardco" not in refused.text
    assert api.client.get(f"{V1}/exchanges", headers=region.facilitator).json()["count"] == 0


def test_deleting_a_listing_or_company_supersedes_its_open_proposals_for_good(region):
    api, fac, keys = region.api, region.facilitator, region.companies
    proposals = _sent(region)
    board, gyproc = proposals["boardco-gypsum"], proposals["gyproc-gypsum"]
    assert api.client.post(f"{V1}/proposals/{board['id']}/accept", headers=keys["boardco"]).status_code == 200
    assert api.client.post(f"{V1}/proposals/{gyproc['id']}/accept", headers=keys["asnaes"]).status_code == 200
    # Boardco leaves; a different firm is registered under the same id and lists the same listing id.
    assert api.client.delete(f"{V1}/companies/boardco", headers=fac).status_code == 204
    assert api.client.get(f"{V1}/proposals/{board['id']}", headers=fac).json()["status"] == "superseded"
    newcomer = {"company_id": "boardco", "name": "Other firm", "nace": "10.11", "lat": 55.23, "lon": 11.76,
                "municipality": "Næstved"}
    assert api.client.post(f"{V1}/companies", json=newcomer, headers=fac).status_code == 201
    new_key = api.key("company", "boardco")
    assert api.client.post(f"{V1}/listings", headers=new_key, json={
        "listing_id": "boardco-gypsum", "company_id": "boardco", "kind": "need", "material": "gypsum",
        "quantity": 30000, "unit": "t/yr"}).status_code == 201
    late = api.client.post(f"{V1}/proposals/{board['id']}/accept", headers=keys["asnaes"])
    assert late.status_code == 409 and "superseded" in late.text
    # Gyproc deletes its listing and Boardco's newcomer takes the id: Gyproc's proposal is gone too.
    assert api.client.delete(f"{V1}/listings/gyproc-gypsum", headers=keys["gyproc"]).status_code == 204
    assert api.client.get(f"{V1}/proposals/{gyproc['id']}", headers=fac).json()["status"] == "superseded"
    assert api.client.get(f"{V1}/exchanges", headers=fac).json()["count"] == 0


def test_an_exchange_cannot_attach_to_a_listing_id_now_held_by_another_company(region, monkeypatch):
    # Even where a proposal stayed open (deleted outside the API), the exchange checks who holds the listing.
    from service.api import deps

    api, fac, keys = region.api, region.facilitator, region.companies
    board = _sent(region)["boardco-gypsum"]
    assert api.client.post(f"{V1}/proposals/{board['id']}/accept", headers=keys["asnaes"]).status_code == 200
    monkeypatch.setattr(deps, "OPEN_PROPOSALS", ())  # the delete leaves the proposal open
    assert api.client.delete(f"{V1}/listings/boardco-gypsum", headers=keys["boardco"]).status_code == 204
    assert api.client.post(f"{V1}/listings", headers=keys["gyproc"], json={
        "listing_id": "boardco-gypsum", "company_id": "gyproc", "kind": "need", "material": "gypsum",
        "quantity": 30000, "unit": "t/yr"}).status_code == 201
    refused = api.client.post(f"{V1}/proposals/{board['id']}/accept", headers=keys["boardco"])
    assert refused.status_code == 409 and "your listing 'boardco-gypsum' of this proposal no longer exists" in refused.text
    assert api.client.get(f"{V1}/exchanges", headers=fac).json()["count"] == 0


def test_a_rerun_subtracts_its_exchanges_whose_listings_left_the_scope(region):
    api, fac, keys = region.api, region.facilitator, region.companies
    scope = {"municipalities": ["Kalundborg"]}
    round_ = _run_round(region, {"name": "Kalundborg", "scope": scope})
    api.client.post(f"{V1}/rounds/{round_['id']}/send", headers=fac)
    [proposal] = _proposals(region, fac, round_id=round_["id"])
    for company in ("asnaes", "gyproc"):
        assert api.client.post(f"{V1}/proposals/{proposal['id']}/accept", headers=keys[company]).status_code == 200
    # Boardco moves into the scope with a larger need; Gyproc moves out of it.
    for company, place in (("boardco", "Kalundborg"), ("gyproc", "Roskilde")):
        current = api.client.get(f"{V1}/companies/{company}", headers=fac).json()
        assert api.client.patch(f"{V1}/companies/{company}", headers={**fac, "If-Match": f'"{current["version"]}"'},
                                json={"municipality": place}).status_code == 200
    listing = api.client.get(f"{V1}/listings/boardco-gypsum", headers=keys["boardco"]).json()
    assert api.client.patch(f"{V1}/listings/boardco-gypsum", headers={**keys["boardco"], "If-Match": f'"{listing["version"]}"'},
                            json={"quantity": 150000}).status_code == 200
    assert api.client.post(f"{V1}/rounds/{round_['id']}/run", headers=fac).status_code == 202
    assert api.wait(round_["id"], fac)["status"] == "succeeded"
    rerun = [p for p in _proposals(region, fac, round_id=round_["id"]) if p["run"] == 2]
    assert [(p["offer_id"], p["need_id"]) for p in rerun] == [("asnaes-gypsum", "boardco-gypsum")]
    assert rerun[0]["quantity"] == pytest.approx(50000)  # 150,000 offered less the 100,000 exchanged


def test_two_proposals_for_the_last_open_quantity_accepted_at_once_start_one_exchange(region):
    # Two rounds propose Asnæs's gypsum to Gyproc (100,000 t of 150,000 each); the supplier accepts
    # both; Gyproc's two acceptances arrive together: one exchange starts, the other is refused.
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    api, keys = region.api, region.companies
    first, second = _sent(region)["gyproc-gypsum"], _sent(region, {"name": "again"})["gyproc-gypsum"]
    for proposal in (first, second):
        assert api.client.post(f"{V1}/proposals/{proposal['id']}/accept", headers=keys["asnaes"]).status_code == 200
    barrier = Barrier(2)

    def accept(proposal):
        barrier.wait()
        return api.client.post(f"{V1}/proposals/{proposal['id']}/accept", headers=keys["gyproc"]).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(accept, (first, second)))
    assert codes == [200, 409]
    exchanges = api.client.get(f"{V1}/exchanges", headers=region.facilitator).json()
    assert exchanges["count"] == 1


def test_audit_log_records_who_changed_what(region):
    api, fac = region.api, region.facilitator
    entries = api.client.get(f"{V1}/audit", params={"limit": 500}, headers=fac).json()["data"]
    created = {(e["entity"], e["entity_id"]): e for e in entries if e["action"] == "create"}
    assert created[("company", "gyproc")]["actor_role"] == "facilitator"
    listing = created[("listing", "gyproc-gypsum")]
    assert listing["actor_role"] == "company" and listing["actor_company_id"] == "gyproc"
    assert listing["changes"]["quantity"] == 100000
    assert api.client.get(f"{V1}/audit", headers=region.companies["gyproc"]).status_code == 403


def test_round_scope_limits_the_snapshot(region):
    only_kalundborg = _run_round(region, {"name": "K", "scope": {"municipalities": ["Kalundborg"]}})
    assert only_kalundborg["summary"]["counts"]["companies"] == 2
    pairs = {_pair(p) for p in _proposals(region, region.facilitator, round_id=only_kalundborg["id"])}
    assert pairs == {("asnaes-gypsum", "gyproc-gypsum")}
    boxed = _run_round(region, {"name": "box", "scope": {"bbox": [11.2, 55.5, 11.4, 55.7]}})
    assert boxed["status"] == "succeeded", boxed["message"]
    assert boxed["summary"]["counts"]["companies"] == 1
    assert _proposals(region, region.facilitator, round_id=boxed["id"]) == []
    nothing = _run_round(region, {"name": "empty", "scope": {"municipalities": ["Nowhere"]}})
    assert nothing["status"] == "failed" and "no open listings" in nothing["message"]
    wrong = region.api.client.post(f"{V1}/rounds", json={"name": "x", "scope": {"material_classes": ["unobtainium"]}},
                                   headers=region.facilitator)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"][-1] == "material_classes"
    assert wrong.headers["content-type"] == "application/problem+json"


def test_a_failure_while_saving_leaves_no_proposals(region, monkeypatch):
    def broken_summary(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(proposals, "round_summary", broken_summary)
    round_ = _run_round(region)
    assert round_["status"] == "failed" and "disk full" in round_["message"]
    assert _proposals(region, region.facilitator, round_id=round_["id"]) == []


def _start_slow_round(region, monkeypatch, steps: int) -> int:
    """Start a round whose matching reports ``steps`` steps of 10 ms first; return its id once it runs."""
    real = runner.match

    def slow(*, progress=None, **arguments):
        for step in range(steps):
            progress("candidates", step, steps)
            time.sleep(0.01)
        return real(**arguments)

    monkeypatch.setattr(runner, "match", slow)
    api, fac = region.api, region.facilitator
    round_id = api.client.post(f"{V1}/rounds", json={"name": "slow"}, headers=fac).json()["id"]
    deadline = time.monotonic() + 30
    while api.client.get(f"{V1}/rounds/{round_id}", headers=fac).json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return round_id


def test_cancel_stops_a_running_round_without_proposals(region, monkeypatch):
    api, fac = region.api, region.facilitator
    round_id = _start_slow_round(region, monkeypatch, 400)
    assert api.client.post(f"{V1}/rounds/{round_id}/cancel", headers=fac).status_code == 202
    round_ = api.wait(round_id, fac)
    assert round_["status"] == "cancelled"
    assert _proposals(region, fac, round_id=round_id) == []
    assert api.client.post(f"{V1}/rounds/{round_id}/cancel", headers=fac).status_code == 409


def test_a_round_cut_off_by_a_server_stop_is_failed_on_restart_and_can_run_again(region, settings):
    api, fac = region.api, region.facilitator
    with api.app.state.sessions.begin() as session:
        stuck = Round(name="cut off", status="running", scope={}, objective="diverted", solver="auto",
                      options={}, directives=[], runs=1)
        session.add(stuck)
        session.flush()
        round_id = stuck.id
    with create_app_client(settings) as (client, app):
        round_ = client.get(f"{V1}/rounds/{round_id}", headers=fac).json()
        assert round_["status"] == "failed" and "stopped" in round_["message"]
        with app.state.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Proposal).where(Proposal.round_id == round_id)) == 0
        assert client.post(f"{V1}/rounds/{round_id}/run", headers=fac).status_code == 202
        app.state.jobs.wait(round_id, timeout=120)
        assert client.get(f"{V1}/rounds/{round_id}", headers=fac).json()["status"] == "succeeded"


def test_planners_read_rounds_without_directives_or_single_company_figures(region):
    round_ = _run_round(region, {"name": "with a forbid", "directives": [
        {"action": "forbid", "supplier_id": "asnaes", "receiver_id": "boardco"}]})
    planner = region.api.key("planner")
    seen = region.api.client.get(f"{V1}/rounds/{round_['id']}", headers=planner).json()
    assert seen["directives"] == [] and "totals" not in seen["summary"]
    assert seen["summary"]["counts"]["listings"] == 3
    assert "asnaes" not in json.dumps(seen) and "boardco" not in json.dumps(seen)
    full = region.api.client.get(f"{V1}/rounds/{round_['id']}", headers=region.facilitator).json()
    assert full["directives"][0]["supplier_id"] == "asnaes" and "totals" in full["summary"]
    assert {_pair(p) for p in _proposals(region, region.facilitator, round_id=round_["id"])} == {
        ("asnaes-gypsum", "gyproc-gypsum")}


def test_rounds_use_the_engine_default_candidates_like_the_command_line(region):
    from symbiosis.candidates import CandidateParams

    round_ = _run_round(region, {"name": "defaults"})
    assert round_["options"]["max_candidates"] == CandidateParams().max_candidates
    assert round_["summary"]["parameters"]["max_candidates"] == CandidateParams().max_candidates
    chosen = _run_round(region, {"name": "chosen", "options": {"max_candidates": 3}})
    assert chosen["summary"]["parameters"]["max_candidates"] == 3


def test_proposal_explanations_are_the_engine_explanation(region):
    import pandas as pd

    from symbiosis.explain import explain_exchanges
    from symbiosis.rules import default_rulebook
    from symbiosis.schema import INDICATORS

    round_ = _run_round(region)
    fields = ("rule_id", "material", "need_material", "distance_km", "transport_mode", "max_distance_km",
              "objective_contribution", "transport_co2e_t", *INDICATORS)
    with region.api.app.state.sessions() as session:
        rows = session.scalars(select(Proposal).where(Proposal.round_id == round_["id"])).all()
        notes = default_rulebook().rule_table()["quality_note"]  # the rule's conditions end the explanation
        frame = pd.DataFrame([{**{f: getattr(p, f) for f in fields}, "yield": p.yield_, "conditions": notes[p.rule_id],
                               "explanation": p.explanation} for p in rows])
    assert len(frame) == 2
    assert list(frame["explanation"]) == list(explain_exchanges(frame, round_["objective"]))
    assert all(text.startswith("rule ") and " Conditions: " in text for text in frame["explanation"])


def test_a_round_scope_names_hazardous_codes_with_or_without_their_star():
    from service.rounds.snapshot import check_material_classes, material_in_classes

    assert check_material_classes(["10 01 04*", "100104", "10 01", "gypsum"]) == []
    for wanted in ("10 01 04*", "10 01 04", "100104*", "10 01", "10"):
        assert material_in_classes("10 01 04", [wanted]), wanted
    assert not material_in_classes("10 01 05", ["10 01 04*"])
    assert material_in_classes("gypsum", ["Gypsum"]) and not material_in_classes("gypsum", ["10"])


def test_a_listing_deleted_while_the_round_runs_gets_no_proposal(region, monkeypatch):
    """Its company, or a newcomer listed later under the same id, could otherwise accept one."""
    api, fac = region.api, region.facilitator
    round_id = _start_slow_round(region, monkeypatch, 150)
    assert api.client.delete(f"{V1}/listings/boardco-gypsum", headers=fac).status_code == 204
    assert api.wait(round_id, fac)["status"] == "succeeded"
    stored = _proposals(region, fac, round_id=round_id)
    assert stored and all("boardco-gypsum" not in (p["offer_id"], p["need_id"]) for p in stored)


@pytest.mark.parametrize("edit", ["lower", "delete"])
def test_an_edit_or_delete_beside_an_acceptance_never_over_commits_a_listing(region, monkeypatch, edit):
    """The receiver lowers its need (or the supplier deletes its offer) while the other side's
    acceptance starts the exchange; the edit's check of what exchanges use is slowed down to widen
    the window. Whichever comes first wins; the other is refused: never an exchange over a lowered
    quantity or on a deleted listing."""
    import threading

    import service.api.deps as deps
    import service.api.routes.listings as listing_routes

    api, fac, keys = region.api, region.facilitator, region.companies
    round_id = _run_round(region)["id"]
    assert api.client.post(f"{V1}/rounds/{round_id}/send", headers=fac).status_code == 200
    proposal = next(p for p in _proposals(region, fac, round_id=round_id) if p["need_id"] == "gyproc-gypsum")
    assert api.client.post(f"{V1}/proposals/{proposal['id']}/accept", headers=keys["asnaes"]).status_code == 200
    armed = threading.Event()
    module, name = (listing_routes, "used_quantities") if edit == "lower" else (deps, "update")
    real = getattr(module, name)

    def slow(*args, **kwargs):  # the app runs requests in its own thread: the flag says whose call it is
        if edit == "delete" and armed.is_set():
            armed.clear()
            time.sleep(1.0)
        found = real(*args, **kwargs)
        if edit == "lower" and armed.is_set():
            armed.clear()
            time.sleep(1.0)
        return found

    monkeypatch.setattr(module, name, slow)
    done = {}

    def editor() -> None:
        if edit == "lower":
            etag = api.client.get(f"{V1}/listings/gyproc-gypsum", headers=keys["gyproc"]).headers["etag"]
            armed.set()
            done["edit"] = api.client.patch(f"{V1}/listings/gyproc-gypsum", json={"quantity": 40000},
                                            headers={**keys["gyproc"], "If-Match": etag})
        else:
            armed.set()
            done["edit"] = api.client.delete(f"{V1}/listings/asnaes-gypsum", headers=keys["asnaes"])

    thread = threading.Thread(target=editor, name="editor")
    thread.start()
    time.sleep(0.3)
    accepted = api.client.post(f"{V1}/proposals/{proposal['id']}/accept", headers=keys["gyproc"])
    thread.join()
    # The loser is refused: 409, or on PostgreSQL possibly 503 (its transaction lost a serialization
    # race; the client retries and then gets the 409).
    assert {accepted.status_code, done["edit"].status_code} & {409, 503}, (accepted.text, done["edit"].text)
    assert {accepted.status_code, done["edit"].status_code} - {409, 503} <= {200, 204}
    with api.app.state.sessions() as session:
        rows = session.execute(text("SELECT offer_id, need_id, quantity_canonical, need_quantity_canonical "
                                    "FROM exchanges WHERE status = 'active'")).all()
        listings = dict(session.execute(text("SELECT listing_id, quantity_canonical FROM listings")).all())
    for offer_id, need_id, quantity, need_quantity in rows:
        assert offer_id in listings and need_id in listings
        assert quantity <= listings[offer_id] * (1 + 1e-9) and need_quantity <= listings[need_id] * (1 + 1e-9)


@pytest.mark.parametrize("limit", [{"max_partners": 1}, {"all_or_nothing": True}])
def test_partner_limits_hold_across_rounds(region, limit):
    """An offer that takes one partner (or all or nothing) and has its exchange from round 1 is not
    proposed again in round 2, and a proposal that would break the limit cannot be accepted."""
    api, fac, keys = region.api, region.facilitator, region.companies
    etag = api.client.get(f"{V1}/listings/asnaes-gypsum", headers=fac).headers["etag"]
    quantity = {"quantity": 100000} if "all_or_nothing" in limit else {}
    changed = api.client.patch(f"{V1}/listings/asnaes-gypsum", json={**limit, **quantity},
                               headers={**fac, "If-Match": etag})
    assert changed.status_code == 200, changed.text
    first = _run_round(region)
    assert api.client.post(f"{V1}/rounds/{first['id']}/send", headers=fac).status_code == 200
    [proposal] = _proposals(region, fac, round_id=first["id"])
    for side in ("supplier_id", "receiver_id"):
        assert api.client.post(f"{V1}/proposals/{proposal['id']}/accept", headers=keys[proposal[side]]).status_code == 200
    # Supply beyond the exchange that the second need in reach could take whole: still no second partner.
    etag = api.client.get(f"{V1}/listings/asnaes-gypsum", headers=fac).headers["etag"]
    assert api.client.patch(f"{V1}/listings/asnaes-gypsum", json={"quantity": 130000},
                            headers={**fac, "If-Match": etag}).status_code == 200
    second = _run_round(region, {"name": "again"})
    assert second["status"] in ("succeeded", "failed")
    assert all(p["offer_id"] != "asnaes-gypsum" for p in _proposals(region, fac, round_id=second["id"]))
    exchanges = api.client.get(f"{V1}/exchanges", headers=fac).json()["data"]
    assert [e["offer_id"] for e in exchanges if e["status"] == "active"] == ["asnaes-gypsum"]


def test_accepting_a_proposal_that_would_break_a_partner_limit_is_refused(region):
    api, fac, keys = region.api, region.facilitator, region.companies
    first = _run_round(region)
    assert api.client.post(f"{V1}/rounds/{first['id']}/send", headers=fac).json() == {"sent": 2}
    etag = api.client.get(f"{V1}/listings/asnaes-gypsum", headers=fac).headers["etag"]
    assert api.client.patch(f"{V1}/listings/asnaes-gypsum", json={"max_partners": 1},
                            headers={**fac, "If-Match": etag}).status_code == 200
    one, two = _proposals(region, fac, round_id=first["id"])
    for side in ("supplier_id", "receiver_id"):
        assert api.client.post(f"{V1}/proposals/{one['id']}/accept", headers=keys[one[side]]).status_code == 200
    assert api.client.post(f"{V1}/proposals/{two['id']}/accept", headers=keys[two["receiver_id"]]).status_code == 200
    refused = api.client.post(f"{V1}/proposals/{two['id']}/accept", headers=keys["asnaes"])
    assert refused.status_code == 409
    assert "your listing 'asnaes-gypsum' takes at most 1 partner(s) and already has 1 active exchange(s)" in refused.text


def test_a_re_run_holds_the_round_s_exchanges_at_their_quantity(region):
    """After gyproc raises its need, a re-run neither puts more on the exchanged pair (which no
    proposal would carry) nor leaves boardco 'outbid' by it: the rest of the offer is proposed."""
    api, fac, keys = region.api, region.facilitator, region.companies
    first = _run_round(region)
    assert api.client.post(f"{V1}/rounds/{first['id']}/send", headers=fac).json() == {"sent": 2}
    gyproc = next(p for p in _proposals(region, fac, round_id=first["id"]) if p["need_id"] == "gyproc-gypsum")
    for side in ("supplier_id", "receiver_id"):
        assert api.client.post(f"{V1}/proposals/{gyproc['id']}/accept", headers=keys[gyproc[side]]).status_code == 200
    etag = api.client.get(f"{V1}/listings/gyproc-gypsum", headers=fac).headers["etag"]
    assert api.client.patch(f"{V1}/listings/gyproc-gypsum", json={"quantity": 300000},
                            headers={**fac, "If-Match": etag}).status_code == 200
    assert api.client.post(f"{V1}/rounds/{first['id']}/run", headers=fac).status_code == 202
    again = api.wait(first["id"], fac)
    assert again["status"] == "succeeded", again
    open_ = [p for p in _proposals(region, fac, round_id=first["id"]) if p["status"] in ("draft", "sent")]
    assert [(p["offer_id"], p["need_id"], p["quantity"]) for p in open_] == [("asnaes-gypsum", "boardco-gypsum", 30000)]
    assert again["summary"]["counts"]["exchanges"] == 2
    unmatched = api.client.get(f"{V1}/rounds/{first['id']}/unmatched", headers=fac).json()["data"]
    assert all(u["listing_id"] != "boardco-gypsum" for u in unmatched)


def test_a_round_with_a_class_offered_as_the_class_a_need_names_succeeds(region):
    """Gypsum offered as the class reaches the gypsum needs through the same-class rule, and its
    proposals store every figure the rule states (waste_t 0: a class names no waste)."""
    api, fac, keys = region.api, region.facilitator, region.companies
    offer = {"listing_id": "asnaes-gypsum-class", "company_id": "asnaes", "kind": "offer", "material": "gypsum",
             "quantity": 20000, "unit": "t/yr"}
    assert api.client.post(f"{V1}/listings", json=offer, headers=keys["asnaes"]).status_code == 201
    etag = api.client.get(f"{V1}/listings/gyproc-gypsum", headers=fac).headers["etag"]
    assert api.client.patch(f"{V1}/listings/gyproc-gypsum", json={"quantity": 300000},
                            headers={**fac, "If-Match": etag}).status_code == 200
    round_ = _run_round(region)
    assert round_["status"] == "succeeded", round_
    rules = {p["rule_id"] for p in _proposals(region, fac, round_id=round_["id"])}
    assert "same-material-class" in rules


def test_an_unforeseen_database_error_fails_the_round_with_a_short_message_without_sql():
    from sqlalchemy.exc import IntegrityError

    from service.rounds.runner import internal_error_message

    exc = IntegrityError("INSERT INTO proposals (a, b) VALUES (?, ?)", [(1, 2)] * 500,
                         Exception("NOT NULL constraint failed: proposals.waste_t"))
    message = internal_error_message(exc)
    assert message == ("internal error: IntegrityError: NOT NULL constraint failed: proposals.waste_t; "
                       "the service log has the details")
    assert "INSERT" not in message and len(internal_error_message(RuntimeError("x" * 5000))) < 400


def test_a_company_sees_why_its_listings_got_no_proposal_once_the_round_is_sent(region):
    api, fac, keys = region.api, region.facilitator, region.companies
    # gyproc lists a second need that nothing in the region can serve
    created = api.client.post(f"{V1}/listings", headers=keys["gyproc"], json={
        "company_id": "gyproc", "listing_id": "gyproc-slag", "kind": "need", "material": "blasting-abrasive",
        "quantity": 10, "unit": "t/yr"})
    assert created.status_code == 201, created.text
    mine = lambda: api.client.get(f"{V1}/me/unmatched", headers=keys["gyproc"]).json()  # noqa: E731
    assert mine() == {"rounds_sent": 0, "data": [], "count": 0}
    round_id = _run_round(region)["id"]
    facilitator_view = api.client.get(f"{V1}/rounds/{round_id}/unmatched", headers=fac).json()["data"]
    assert [r["listing_id"] for r in facilitator_view] == ["gyproc-slag"]
    assert mine()["count"] == 0  # a draft round's results are the facilitator's alone
    assert api.client.post(f"{V1}/rounds/{round_id}/send", headers=fac).status_code == 200
    assert mine() == {"rounds_sent": 1, "count": 1, "data": [{
        "listing_id": "gyproc-slag", "kind": "need", "material": "blasting-abrasive", "round_id": round_id,
        "round_name": "Kalundborg spring", "reason_kind": "no_counterpart",
        "reason": "Nobody in the region lists the other side of this material."}]}
    assert api.client.get(f"{V1}/me/unmatched", headers=keys["asnaes"]).json()["data"] == []  # only one's own
    # a re-run keeps what was sent until it is sent in turn, even when it is cancelled or fails
    assert api.client.post(f"{V1}/rounds/{round_id}/run", headers=fac).status_code == 202
    api.wait(round_id, fac)
    assert mine()["data"][0]["round_id"] == round_id
    # a later round whose scope leaves the listing out (gypsum only) leaves its reason as it was
    other = api.client.post(f"{V1}/rounds", headers=fac, json={
        "name": "gypsum", "scope": {"material_classes": ["gypsum", "10 01 05"]}})
    assert other.status_code == 202, other.text
    assert api.wait(other.json()["id"], fac)["status"] == "succeeded"
    assert api.client.post(f"{V1}/rounds/{other.json()['id']}/send", headers=fac).status_code == 200
    assert [(u["listing_id"], u["round_id"]) for u in mine()["data"]] == [("gyproc-slag", round_id)]
    assert mine()["rounds_sent"] == 2
    # a withdrawn listing is no longer explained
    assert api.client.delete(f"{V1}/listings/gyproc-slag", headers=keys["gyproc"]).status_code == 204
    assert mine()["count"] == 0


def test_a_listing_proposed_for_in_a_later_sent_round_is_no_longer_told_unmatched(region):
    api, fac, keys = region.api, region.facilitator, region.companies
    api.client.post(f"{V1}/listings", headers=keys["gyproc"], json={
        "company_id": "gyproc", "listing_id": "gyproc-grit", "kind": "need", "material": "blasting-abrasive",
        "quantity": 10, "unit": "t/yr"})
    first = _run_round(region)["id"]
    api.client.post(f"{V1}/rounds/{first}/send", headers=fac)
    assert [u["listing_id"] for u in api.client.get(f"{V1}/me/unmatched", headers=keys["gyproc"]).json()["data"]] == [
        "gyproc-grit"]
    api.client.post(f"{V1}/listings", headers=keys["asnaes"], json={
        "company_id": "asnaes", "listing_id": "asnaes-slag", "kind": "offer", "material": "10 06 01",
        "quantity": 10, "unit": "t/yr"})
    second = _run_round(region)["id"]
    api.client.post(f"{V1}/rounds/{second}/send", headers=fac)
    assert api.client.get(f"{V1}/me/unmatched", headers=keys["gyproc"]).json()["data"] == []


def test_every_unmatched_reason_of_the_engine_has_a_kind_a_company_may_be_told():
    from symbiosis.explain import REASON_KINDS, reason_kinds

    samples = {
        "no compatibility rule takes 18 01 03": "no_rule",
        "nobody listed a need it can serve (aggregates)": "no_counterpart",
        "nobody offers a material that can serve gypsum": "no_counterpart",
        "grade too low: the water offered in the region (raw-water) is of a lower grade": "grade",
        "no compatible partner within reach: nearest is x at 80.0 km, limit 50.0 km": "out_of_reach",
        "the facilitator forbade its exchange with the partner in reach (x)": "forbidden",
        "availability does not overlap with the compatible partner in reach (x)": "availability",
        "the only compatible partners in reach belong to the same company": "same_company",
        "not worth its transport cost: each unit would lose 3 EUR": "transport_cost",
        "not worth its link cost: the link with x": "link_cost",
        "below a minimum lot: exchanges with the 2 partner(s)": "minimum_lot",
        "all or nothing: exchanges with the 2 partner(s)": "all_or_nothing",
        "its 3 candidate(s) in reach gain nothing under objective 'co2'": "no_gain",
        "partner limit reached: x already have their maximum number of partners": "partner_limit",
        "outbid: its 2 candidate partner(s) in reach went to exchanges worth as much or more (x)": "outbid",
        "no compatibility rule takes 19 01 14 into another material, and nobody lists a need for 19 01 14 itself":
            "no_counterpart",
        "something new": "other",
    }
    assert reason_kinds(samples) == list(samples.values())
    assert set(samples.values()) - {"other"} == set(REASON_KINDS)
    assert reason_kinds([None, float("nan"), ""]) == ["other"] * 3
    for _, sentence in REASON_KINDS.values():  # a company's sentence names nobody
        assert "(" not in sentence and sentence.endswith(".")
    # the page words each kind in both its languages, in English as the API does
    from service.api.routes.web import WEB_DIR

    source = (WEB_DIR / "i18n.js").read_text(encoding="utf-8")
    english, danish = source.split("\n  en: {", 1)[1].split("\n  da: {", 1)
    for kind, (_, sentence) in REASON_KINDS.items():
        assert f'"reason_kind.{kind}": {json.dumps(sentence, ensure_ascii=False)},' in english
        assert f'"reason_kind.{kind}": ' in danish


def test_a_company_learns_neither_the_other_side_s_own_price_nor_its_site_from_a_proposal(region):
    api, fac, keys = region.api, region.facilitator, region.companies
    patched = api.client.patch(f"{V1}/listings/gyproc-gypsum", headers=keys["gyproc"],
                               json={"price_eur_per_unit": 23.45, "version": 1})
    assert patched.status_code == 200, patched.text
    round_id = _run_round(region)["id"]
    api.client.post(f"{V1}/rounds/{round_id}/send", headers=fac)
    supplier_view = next(p for p in _proposals(region, keys["asnaes"]) if p["your_listing_id"] == "asnaes-gypsum"
                         and p["need_material"] == "gypsum" and p["need_quantity"] == pytest.approx(100000))
    economics = supplier_view["economics"]
    assert economics["receiver_saving_eur"] is None and economics["fair_price_max_eur"] is None  # gyproc's price
    assert supplier_view["indicators"]["value_eur"] is None  # it and the costs would give that price back
    assert "23.45" not in json.dumps(supplier_view)
    # the receiver sees its own saving, and no other company priced anything here
    receiver_view = _proposals(region, keys["gyproc"])[0]
    assert receiver_view["economics"]["receiver_saving_eur"] == pytest.approx(100000 * 23.45)
    # until both accept, the distance is given to the whole kilometre, in the explanation too
    assert supplier_view["distance_km"] == round(supplier_view["distance_km"])
    assert supplier_view["counterpart"]["distance_km"] == supplier_view["distance_km"]
    assert f"; about {supplier_view['distance_km']:,.0f} km by " in supplier_view["explanation"]
