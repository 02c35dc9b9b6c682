"""Dates as written in Danish and international spreadsheets: ISO, ``DD-MM-YYYY`` and ``DD.MM.YYYY``.

A slash (``01/02/2026``) is refused: it is day-first in Denmark and month-first in the US, and the
two readings differ whenever the day is 12 or less.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[-.](\d{1,2})[-.](\d{4})$")

#: The forms named in error messages.
DATE_FORMS = "YYYY-MM-DD, DD-MM-YYYY or DD.MM.YYYY"


def parse_date(value) -> pd.Timestamp:
    """Read one date cell: a date or datetime (an Excel date cell), or text in one of :data:`DATE_FORMS`.

    Raises
    ------
    ValueError
        With the accepted forms, when the text is no date or no real day (``31.02.2026``).
    """
    if isinstance(value, (datetime, date)):
        return pd.Timestamp(value.year, value.month, value.day)
    text = str(value).strip()
    match = _ISO.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DAY_FIRST.match(text)
        if match is None or text.count("-") not in (0, 2):
            hint = " (a slash date is read differently in Denmark and the US)" if "/" in text else ""
            raise ValueError(f"{text!r} is not a date ({DATE_FORMS}){hint}")
        day, month, year = (int(g) for g in match.groups())
    try:
        return pd.Timestamp(date(year, month, day))
    except ValueError:
        raise ValueError(f"{text!r} is not a real day ({DATE_FORMS})") from None
