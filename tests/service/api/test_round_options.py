"""A round takes the command line's objective options: weights, subsidised exchanges, MILP controls;
its proposals carry their economics, with unknown figures as null."""

from __future__ import annotations

V1 = "/api/v1"


def _create(region, options: dict):
    return region.api.client.post(f"{V1}/rounds", json={"name": "with options", "options": options},
                                  headers=region.facilitator)


def test_a_round_with_weights_and_subsidised_exchanges_runs_with_them(region):
    answer = _create(region, {"weights": [{"kind": "indicator", "name": "water_m3", "weight": 2}],
                              "allow_subsidised": True, "relative_gap": 0.01, "seed": 3})
    assert answer.status_code == 202, answer.text
    finished = region.api.wait(answer.json()["id"], region.facilitator)
    assert finished["status"] == "succeeded", finished
    parameters = finished["summary"]["parameters"]
    assert parameters["allow_subsidised"] is True and parameters["relative_gap"] == 0.01
    assert parameters["weights"]["indicators"] == {"water_m3": 2.0}


def test_an_unknown_weight_is_a_422_naming_the_row(region):
    answer = _create(region, {"weights": [{"kind": "indicator", "name": "happiness", "weight": 1}]})
    assert answer.status_code == 422
    text = answer.text
    assert "weights" in text and "happiness" in text


def test_proposals_carry_their_economics_and_unknown_figures_as_null(region):
    answer = _create(region, {})
    region.api.wait(answer.json()["id"], region.facilitator)
    proposals = region.api.client.get(f"{V1}/proposals", headers=region.facilitator).json()["data"]
    assert proposals
    for proposal in proposals:
        economics = proposal["economics"]
        assert set(economics) >= {"receiver_saving_eur", "supplier_saving_eur", "transport_cost_eur",
                                  "link_cost_eur", "fair_price_min_eur", "fair_price_max_eur"}
        assert economics["supplier_saving_eur"] is not None  # FGD gypsum: the landfill default applies
        assert economics["fair_price_unit"] == "t"  # fair prices per tonne of the offer, whatever its unit
    # FGD gypsum to plasterboard has no cited CO2 factor: unknown, not 0.
    assert all(p["indicators"]["co2e_t"] is None for p in proposals)


def test_a_round_s_results_workbook_has_names_units_and_reasons(region):
    import io

    import openpyxl

    answer = _create(region, {})
    round_id = answer.json()["id"]
    region.api.wait(round_id, region.facilitator)
    download = region.api.client.get(f"{V1}/rounds/{round_id}/results.xlsx", headers=region.facilitator)
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    rows = list(book["exchanges"].iter_rows(values_only=True))
    header, first = rows[0], dict(zip(rows[0], rows[1]))
    assert "supplier" in header and first["supplier"] == "Asnæs Power Station" and first["unit"] == "t/yr"
    assert first["explanation"].startswith("rule ")
    planner = region.api.key("planner")
    assert region.api.client.get(f"{V1}/rounds/{round_id}/results.xlsx", headers=planner).status_code == 403
