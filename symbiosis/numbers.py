"""Numbers as people type them in Danish and English spreadsheets, read without guessing.

Danish writes ``1.234,5`` (dot groups thousands, comma is the decimal mark), English writes
``1,234.5``. A cell is read in both notations:

- Danish: a dot only groups thousands, in groups of three after a first group without a leading
  zero (``30.000``, ``1.234.567``; ``0.125`` is no grouping); a comma is the decimal mark. A dot anywhere else is no Danish number (Danish spreadsheets make ``1.5`` a date or
  text), so such a cell has no Danish reading.
- English: a comma groups thousands and a dot is the decimal mark. Spreadsheets in English read a
  comma as a thousands separator wherever it stands (``1,5`` is typed as 15), so a comma that is not
  in a group of three still gives an English reading (``1,5`` is 15), which is why ``1,5`` is
  ambiguous; a comma after a lone ``0`` (``0,5``) is no grouping, so that cell is Danish.

A cell with one reading is that number. A cell whose two readings differ (``30,000``, ``30.000``,
``1,5``) takes the reading of the declared locale; with no locale declared, the file's locale is
detected from cells that use both marks (``1.234,5`` is Danish, ``1,234.5`` English) when all such
cells agree; otherwise the cell is an error naming both readings. With a declared locale, a cell
with no reading in it (``1,5`` in English) is an error too, unless its only reading is a decimal
point that cannot be Danish grouping (``55.6626`` in a Danish file, as coordinates are pasted).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: The locales a file may declare.
LOCALES: tuple[str, ...] = ("da", "en")
LOCALE_NAMES: dict[str, str] = {"da": "Danish", "en": "English"}

# A space, no-break space or narrow no-break space groups thousands in both locales: between a first
# group of 1-3 digits and groups of exactly three (``1 234 567``, ``1 234,5``), where it is dropped
# first. Any other space or apostrophe between digits (``12 5``, ``1 2345``, ``1'234``) is no number.
_GROUP_SPACES = " \u00a0\u202f"
_BETWEEN_DIGITS = re.compile(r"(?<=\d)[\s\u00a0\u202f\u2009'](?=\d)")
_SPACE_GROUPED = re.compile(rf"[+-]?[1-9]\d{{0,2}}(?:[{_GROUP_SPACES}]\d{{3}})+(?![\d{_GROUP_SPACES}])")
_GROUP_SPACE = re.compile(f"[{_GROUP_SPACES}]")
_PLAIN = re.compile(r"^[+-]?\d+$")
_SCIENTIFIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+$")
_DA_GROUPED = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+(,\d+)?$")
_DA_DECIMAL = re.compile(r"^[+-]?\d*,\d+$|^[+-]?\d+,$")
_EN_GROUPED = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$")
_EN_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$|^[+-]?\d+\.$")
_EN_LOOSE = re.compile(r"^[+-]?[1-9][\d,]*(\.\d+)?$")


@dataclass(frozen=True)
class Readings:
    """The value of one cell in Danish and in English notation (``None``: no reading)."""

    da: float | None
    en: float | None
    #: The locale this cell proves (it uses both marks in one locale's order), else None.
    evidence: str | None = None

    @property
    def ambiguous(self) -> bool:
        return self.da is not None and self.en is not None and self.da != self.en


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _join_spaces(text: str) -> str | None:
    """``text`` without the spaces that group its thousands, or None when a space between digits
    is no thousands grouping."""
    if not _BETWEEN_DIGITS.search(text):
        return text
    grouped = _SPACE_GROUPED.match(text)
    if grouped is None or _BETWEEN_DIGITS.search(text, grouped.end()):
        return None
    return _GROUP_SPACE.sub("", grouped.group()) + text[grouped.end():]


def readings(text: str) -> Readings:
    """Read ``text`` in both notations.

    Examples
    --------
    >>> readings("30.000")
    Readings(da=30000.0, en=30.0, evidence=None)
    >>> readings("1,5")
    Readings(da=1.5, en=15.0, evidence=None)
    >>> readings("55.6626")
    Readings(da=None, en=55.6626, evidence=None)
    """
    t = _join_spaces(str(text).strip())
    if t is None:
        return Readings(None, None)
    if _PLAIN.match(t) or _SCIENTIFIC.match(t):
        value = _float(t)
        return Readings(value, value)
    da = en = None
    evidence = None
    if _DA_GROUPED.match(t) or _DA_DECIMAL.match(t):
        da = _float(t.replace(".", "").replace(",", "."))
    if _EN_GROUPED.match(t) or _EN_DECIMAL.match(t) or (_EN_LOOSE.match(t) and "," in t):
        en = _float(t.replace(",", ""))
    if "," in t and "." in t:
        evidence = "da" if t.rfind(",") > t.rfind(".") else "en"
        # A cell with both marks is read only in the locale it proves.
        if evidence == "da":
            en = None
        else:
            da = None
    if evidence is None and da is not None and en is None and t.count(".") >= 2:
        evidence = "da"
    if evidence is None and en is not None and da is None and t.count(",") >= 2 and _EN_GROUPED.match(t):
        evidence = "en"
    return Readings(da, en, evidence)


def strict_english(text: str) -> bool:
    """Whether ``text`` is English notation with commas only in groups of three."""
    t = _join_spaces(text.strip())
    return t is not None and bool(_PLAIN.match(t) or _SCIENTIFIC.match(t) or _EN_GROUPED.match(t) or _EN_DECIMAL.match(t))


def detect_locale(cells) -> str | None:
    """The locale proven by cells that use both marks in one order (``1.234,5``) or group more than
    once (``1.234.567``), when all such cells agree; else None."""
    found = {readings(c).evidence for c in cells if isinstance(c, str) and (c.count(",") + c.count(".")) >= 2}
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def check_locale(locale: str | None) -> str | None:
    """Return ``locale`` normalised (``'da'``, ``'en'`` or None for "detect").

    Raises
    ------
    ValueError
        For a locale other than da or en.
    """
    if locale is None:
        return None
    text = str(locale).strip().lower().replace("_", "-")
    if text in ("", "auto", "detect"):
        return None
    aliases = {"da": "da", "da-dk": "da", "dk": "da", "danish": "da", "dansk": "da",
               "en": "en", "en-gb": "en", "en-us": "en", "english": "en", "engelsk": "en"}
    if text not in aliases:
        raise ValueError(f"locale {locale!r} is not one of {', '.join(LOCALES)} (or blank to detect it)")
    return aliases[text]


def parse_number(text: str, locale: str | None, plausible=None) -> float:
    """Parse one cell's text in ``locale`` (``'da'``, ``'en'`` or None: only unambiguous text).

    ``plausible``, a function of a value, settles an ambiguous cell without a locale when exactly
    one of its readings passes it (a latitude ``55.662`` is not 55,662 degrees).

    Raises
    ------
    ValueError
        With a reason naming both readings when the text is ambiguous, or why it is no number.
    """
    r = readings(text)
    if r.da is None and r.en is None:
        if _join_spaces(str(text).strip()) is None:
            raise ValueError(
                f"{text!r} is not a number: a space between digits may only group thousands, in groups of "
                "three digits (1 234 567 or 1 234,5); write it without the space or group it so"
            )
        raise ValueError(f"{text!r} is not a number")
    if locale is None:
        if r.da is None and r.en is not None and "," in str(text) and not strict_english(str(text)):
            # A comma that neither groups thousands in threes nor is a single decimal comma
            # ('1,234,5', '5,10,15'): refused as a file declared English refuses it.
            raise ValueError(
                f"{text!r} is not a number: in English notation commas group thousands in threes "
                "(1,234,567), in Danish notation one comma marks the decimals (1234,5)"
            )
        if r.ambiguous and plausible is not None and plausible(r.da) != plausible(r.en):
            return r.da if plausible(r.da) else r.en
        if r.ambiguous:
            raise ValueError(
                f"{text!r} reads as {r.da:g} in Danish notation and as {r.en:g} in English notation; "
                "declare the file's locale (da or en) or write it without thousands separators"
            )
        return r.da if r.da is not None else r.en
    own, other = (r.da, r.en) if locale == "da" else (r.en, r.da)
    if locale == "en" and own is not None and "," in text and not strict_english(text):
        own = None  # a loose comma in a file declared English: not trusted
    if own is not None:
        return own
    if locale == "da" and other is not None and "," not in text and not _DA_GROUPED.match(_join_spaces(text.strip()) or ""):
        return other  # a decimal point that cannot be Danish grouping, e.g. pasted coordinates
    hint = f"; in {LOCALE_NAMES['da' if locale == 'en' else 'en']} notation it reads {other:g}" if other is not None else ""
    raise ValueError(f"{text!r} is not a number in {LOCALE_NAMES[locale]} notation{hint}")
