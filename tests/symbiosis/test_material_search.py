"""Searching materials by words: waste-code descriptions, class names in English and Danish."""

import pytest

from symbiosis.data import read_dataset
from symbiosis.material_search import search_materials


def test_fly_ash_finds_the_fly_ash_codes_first():
    found = search_materials("fly ash", limit=5)
    assert list(found.columns[:4]) == ["code", "description", "kind", "score"]
    assert found.loc[0, "code"] == "10 01 02"  # coal fly ash
    assert {"10 01 02", "10 01 03", "19 01 13"} <= set(found["code"])
    assert found["score"].is_monotonic_decreasing and (found["kind"] == "waste code").all()


@pytest.mark.parametrize(("query", "code"), [("gips", "gypsum"), ("damp", "steam"), ("Kølevand", "cooling-water"),
                                             ("gypsom", "gypsum"), ("flyash", "10 01 02"), ("sawdust", "03 01 05"),
                                             ("metal scrap", "metal-scrap"), ("gær", "spent-yeast"),
                                             ("yeast", "spent-yeast")])
def test_danish_names_and_typos_find_their_entry(query, code):
    assert code in set(search_materials(query, limit=3)["code"])


def test_a_code_or_a_sub_chapter_is_found_by_its_digits():
    assert list(search_materials("100102")["code"]) == ["10 01 02"]
    found = search_materials("10 01", limit=100)
    assert len(found) > 10 and found["code"].str.startswith("10 01").all()


def test_nonsense_finds_nothing_and_every_class_has_a_danish_name():
    assert search_materials("qqqq").empty and search_materials("").empty
    assert (read_dataset("materials.csv")["name_da"] != "").all()


def test_suggestions_name_the_danish_class_name():
    from symbiosis.material_search import suggest

    assert suggest("gips") == "closest: gypsum (Gypsum / Gips)"
    assert suggest("qqqq") == ""


def test_a_three_letter_word_finds_danish_compounds_it_ends_but_not_english_words():
    """gær (yeast) is the end of overskudsgær; ler (clay) is the end of the English boiler too, which
    it must not find."""
    assert search_materials("gær").loc[0, "code"] == "spent-yeast"
    assert not search_materials("ler")["description"].str.contains("oiler").any()


@pytest.mark.parametrize(("query", "code"), [("copper slag", "10 06 01"), ("zinc slag", "10 05 01"),
                                              ("aluminium dross", "10 03 09")])
def test_a_generic_description_is_found_by_its_sub_chapter(query, code):
    """'Slags from primary and secondary production' stands in four sub-chapters; the metal the
    user names is in the sub-chapter's title (copper thermal metallurgy)."""
    assert search_materials(query, limit=1)["code"].tolist() == [code]
