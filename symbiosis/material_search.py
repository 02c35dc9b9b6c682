"""Find a material by words: the 842 European List of Waste descriptions and the material classes.

A query is split into words; each word is matched against the words of every entry exactly, as a
prefix or part of a longer word (Danish compounds; a word of three letters only as the end of a
word of a Danish class name), or fuzzily (``difflib`` similarity of at least
:data:`FUZZY_CUTOFF`, so ``flyash`` or ``gypsom`` still find their entry). Classes are searched by id,
English name, Danish name (``name_da``) and, with less weight, their description; waste codes by
their description and, with that lesser weight, their sub-chapter's title. An entry scores
the mean of its query words' best matches, times a factor favouring entries whose name is mostly
made of the query's words (``coal fly ash`` before ``fly ash from peat and untreated wood``). A
query that is an EWC code (``10 01 02``, ``100102``, ``10 01``) finds that code or its sub-chapter.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache

import pandas as pd

from symbiosis.data import read_dataset
from symbiosis.materials import format_ewc

#: Least difflib similarity for a fuzzy word match.
FUZZY_CUTOFF = 0.75
#: Least score an entry needs to be returned.
MIN_SCORE = 0.3
#: Weight of a match found only in a class's description.
DESCRIPTION_WEIGHT = 0.6
#: Words that carry no meaning in a search (English and Danish).
STOP_WORDS = frozenset(
    "a an and as at by for from in into of on or other than the to with without containing not "
    "og af fra i med til på en et den det som eller uden ikke".split()
)
RESULT_COLUMNS = ("code", "description", "kind", "score", "hazardous", "name_da")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CODE = re.compile(r"^\s*(\d{2})\s*(\d{2})?\s*(\d{2})?\s*\*?\s*$")


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


@dataclass(frozen=True)
class _Entry:
    code: str
    description: str
    kind: str
    hazardous: bool
    name_da: str
    name_words: frozenset[str]
    extra_words: frozenset[str]


@cache
def _entries() -> tuple[_Entry, ...]:
    entries = []
    for row in read_dataset("materials.csv").itertuples(index=False):
        name_da = getattr(row, "name_da", "")
        entries.append(_Entry(
            row.material_id, row.name, "material class", False, name_da,
            frozenset(_words(f"{row.material_id} {row.name} {name_da}")), frozenset(_words(row.description)),
        ))
    for row in read_dataset("ewc.csv").itertuples(index=False):
        # The sub-chapter says what a generic description is from ('Slags from primary and secondary
        # production' of copper, zinc or lead): searched with a description's weight.
        entries.append(_Entry(
            format_ewc(row.code), row.description, "waste code", row.is_hazardous.strip().lower() == "true", "",
            frozenset(_words(row.description)), frozenset(_words(getattr(row, "sub_chapter", "") or "")),
        ))
    return tuple(entries)


@cache
def _vocabulary() -> tuple[str, ...]:
    words: set[str] = set()
    for entry in _entries():
        words |= entry.name_words | entry.extra_words
    return tuple(sorted(words))


@cache
def _danish_words() -> frozenset[str]:
    """The words of the classes' Danish names."""
    return frozenset(w for row in read_dataset("materials.csv").itertuples(index=False)
                     for w in _words(getattr(row, "name_da", "")))


def _word_matches(word: str) -> dict[str, float]:
    """Every vocabulary word ``word`` matches, with a similarity in (0, 1]."""
    matches: dict[str, float] = {}
    danish = _danish_words()
    for other in _vocabulary():
        if other == word:
            matches[other] = 1.0
        elif len(word) >= 3 and len(other) >= 3 and (other.startswith(word) or word.startswith(other)):
            matches[other] = 0.9
        elif (len(word) >= 4 and word in other) or (len(word) == 3 and other.endswith(word) and other in danish):
            # Part of a longer word; a three-letter word only as the end of a Danish name's word,
            # the head of a compound (gær in overskudsgær), so that ler (clay) does not find boiler.
            matches[other] = 0.8
    for other in difflib.get_close_matches(word, _vocabulary(), n=8, cutoff=FUZZY_CUTOFF):
        if other not in matches:
            matches[other] = 0.9 * difflib.SequenceMatcher(None, word, other).ratio()
    return matches


def _code_search(query: str) -> pd.DataFrame | None:
    match = _CODE.match(query)
    if match is None or (match.group(2) is None and match.group(3) is None and len(query.strip()) > 2):
        return None
    prefix = " ".join(g for g in match.groups() if g)
    rows = [
        (e.code, e.description, e.kind, 1.0 if e.code == prefix else 0.9, e.hazardous, e.name_da)
        for e in _entries() if e.kind == "waste code" and e.code.startswith(prefix)
    ]
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


def search_materials(query: str, *, limit: int = 10) -> pd.DataFrame:
    """Rank waste codes and material classes by how well they match ``query``.

    Parameters
    ----------
    query
        Words in English (waste codes and classes) or Danish (class names), or an EWC code.
    limit
        Most rows returned.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (``'10 01 02'`` or a class id), ``description``, ``kind`` (``'waste code'``
        or ``'material class'``), ``score`` (0 to 1, best first), ``hazardous``, ``name_da``.
        Empty when nothing scores at least :data:`MIN_SCORE`.
    """
    text = str(query or "").strip()
    by_code = _code_search(text) if text else None
    if by_code is not None:
        return by_code.sort_values(["score", "code"], ascending=[False, True]).head(limit).reset_index(drop=True)
    words = _words(text) or [w for w in _WORD.findall(text.lower())]
    if not words:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    matches = [_word_matches(w) for w in words]
    rows = []
    for entry in _entries():
        total = 0.0
        used: set[str] = set()
        for found in matches:
            best_name = max((s for w, s in found.items() if w in entry.name_words), default=0.0)
            best_extra = DESCRIPTION_WEIGHT * max((s for w, s in found.items() if w in entry.extra_words), default=0.0)
            total += max(best_name, best_extra)
            used |= {w for w in found if w in entry.name_words}
        if total == 0:
            continue
        coverage = total / len(words)
        precision = len(used) / max(len(entry.name_words), 1)
        score = coverage * (0.85 + 0.15 * min(precision, 1.0))
        if score >= MIN_SCORE:
            rows.append((entry.code, entry.description, entry.kind, round(score, 4), entry.hazardous, entry.name_da))
    result = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    return result.sort_values(["score", "code"], ascending=[False, True]).head(limit).reset_index(drop=True)


def suggest(text: str, *, limit: int = 3) -> str:
    """The closest materials to ``text`` as a phrase for an error message, or '' when none is close."""
    found = search_materials(text, limit=limit)
    if found.empty:
        return ""
    return "closest: " + "; ".join(
        f"{row.code} ({row.description} / {row.name_da})" if row.name_da else f"{row.code} ({row.description})"
        for row in found.itertuples(index=False)
    )
