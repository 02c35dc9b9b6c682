"""NACE Rev. 2 activity codes as people write them, normalised to the dotted form.

Accepted: ``35.11`` (class), ``35.1`` (group), ``35`` (division), the same without the dot
(``3511``, ``351``), a comma for the dot (``35,11``, as Danish spreadsheets export a number), and
the Danish DB07 six-digit code (``351100``: the first four digits are the NACE class, the last two
the Danish subdivision). A code that a spreadsheet turned into a number loses its leading zero
(``01.46`` becomes ``1.46``) or its trailing zero (``35.10`` becomes ``35.1``, a group): the first
is refused with the code it most likely was; the second is a valid group and stays one.
"""

from __future__ import annotations

import re
from functools import cache

from symbiosis.data import read_dataset

_DIGITS = re.compile(r"^\d+$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})$")


@cache
def nace_codes() -> frozenset[str]:
    """Division, group and class codes of NACE Rev. 2 (``35``, ``35.1``, ``35.11``)."""
    return frozenset(read_dataset("nace_rev2.csv").query("level in ('2', '3', '4')")["code"])


def _dotted(digits: str) -> str:
    return digits if len(digits) <= 2 else f"{digits[:2]}.{digits[2:]}"


def normalise_nace(text: str) -> str:
    """Return the dotted NACE code for ``text``.

    Raises
    ------
    ValueError
        With the code the text most likely meant, when one exists.
    """
    codes = nace_codes()
    raw = text.strip()
    cleaned = raw.replace(" ", "").replace(",", ".")
    if cleaned in codes:
        return cleaned
    if _DIGITS.match(cleaned):
        if len(cleaned) == 6:
            code = _dotted(cleaned[:4])
            if code in codes:
                return code
            raise ValueError(f"{raw!r} is a six-digit code, but {code} is not a NACE Rev. 2 class (a Danish DB07 code starts with its NACE class)")
        if len(cleaned) in (2, 3, 4) and _dotted(cleaned) in codes:
            return _dotted(cleaned)
        padded = "0" + cleaned
        if len(padded) in (2, 3, 4, 6):
            code = _dotted(padded[:4]) if len(padded) == 6 else _dotted(padded)
            if code in codes:
                raise ValueError(
                    f"{raw!r} is not a NACE code; it looks like {code} whose leading zero was lost when a "
                    f"spreadsheet turned it into a number: write {code} (format the column as text)"
                )
    match = _DOTTED.match(cleaned)
    if match:
        head, tail = match.groups()
        candidates = []
        if len(head) == 1:
            candidates.append(f"0{head}.{tail}")
        if len(tail) == 1:
            candidates.append(f"{head.zfill(2)}.{tail}0")
        known = [c for c in candidates if c in codes]
        if known:
            raise ValueError(
                f"{raw!r} is not a NACE code; it looks like {' or '.join(known)}, changed when a spreadsheet "
                f"turned the code into the number {raw}: write {known[0]} (format the column as text)"
            )
    raise ValueError(f"{raw!r} is not a NACE Rev. 2 division, group or class code (e.g. '23.51', '2351' or DB07 '235100')")


def trailing_zero_hint(code: str) -> str:
    """For a group ``23.2`` read from a number cell: a note that it may have been class ``23.20``
    (a spreadsheet drops a number's trailing zero), or '' when no such class exists."""
    if _DOTTED.match(code) and len(code.split(".")[1]) == 1 and f"{code}0" in nace_codes():
        return (f"{code} was a number cell and is read as the NACE group {code}; if you meant the class "
                f"{code}0, a spreadsheet dropped its trailing zero: write it as text")
    return ""
