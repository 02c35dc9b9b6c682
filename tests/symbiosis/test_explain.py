"""The one sentence explaining each exchange: its rule, distance against the limit, yield and figures."""

import numpy as np
import pandas as pd

from symbiosis.explain import explain_exchanges

ROW = {"rule_id": "fgd-gypsum-to-gypsum", "material": "10 01 05", "need_material": "gypsum", "yield": 0.95,
       "distance_km": 1234.56, "transport_mode": "truck", "max_distance_km": 2500.0,
       "objective_contribution": 36012.04, "waste_t": 18006.0, "resource_t": 17105.7, "water_m3": np.nan,
       "energy_mwh": 0.0, "co2e_t": -0.25, "transport_co2e_t": 0.254}


def test_each_exchange_gets_its_sentence_with_grouped_digits_and_the_limit_when_there_is_one():
    frame = pd.DataFrame([ROW, {**ROW, "max_distance_km": np.nan, "yield": 1.0}], index=pd.Index([7, 8]))
    sentences = explain_exchanges(frame, "diverted")
    assert sentences.index.tolist() == [7, 8]
    assert sentences[7] == (
        "rule fgd-gypsum-to-gypsum: 10 01 05 serves a need for gypsum (yield 0.95); 1,234.6 km by truck within the "
        "2,500 km limit; it contributes 36,012.0 t/yr to the objective 'diverted', diverts 18,006.0 t of waste, saves "
        "17,105.7 t of virgin resource, an unknown quantity of fresh water and 0.0 MWh of energy, and avoids -0.2 t CO2e net of "
        "0.25 t for transport.")
    assert "(yield 1); 1,234.6 km by truck; it contributes" in sentences[8]
    assert explain_exchanges(frame.iloc[0:0], "co2").empty


def test_an_unknown_figure_is_said_to_be_unknown_never_nan():
    unknown = {**ROW, "waste_t": np.nan, "resource_t": np.nan, "energy_mwh": np.nan, "co2e_t": np.nan}
    [sentence] = explain_exchanges(pd.DataFrame([unknown]), "diverted")
    assert "nan" not in sentence
    assert ("diverts an unknown quantity of waste, saves an unknown quantity of virgin resource, an unknown "
            "quantity of fresh water and an unknown quantity of energy, and avoids an unknown quantity of CO2e net "
            "of 0.25 t for transport.") in sentence
