"""csv_text gives the characters pandas' to_csv writes, for every kind of column the results hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.csv_text import csv_text
from service.results_workbook import write_csv_for_excel

TEXT = st.text(alphabet=st.sampled_from(list('ab,;"\n\r\t =+-æø.0 1e')), max_size=8)
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1e16, 9.999999e15, 1e-4, 9.9e-5, 5.2e-05, 12.0, 1234.5, 0.1 + 0.2, 2.5e-308, 5e-324, 1e300])


@st.composite
def tables(draw):
    rows = draw(st.integers(0, 6))
    columns = {
        "float": draw(st.lists(FLOATS, min_size=rows, max_size=rows)),
        "int": draw(st.lists(st.integers(-2**62, 2**62), min_size=rows, max_size=rows)),
        "flag": draw(st.lists(st.booleans(), min_size=rows, max_size=rows)),
        "text": draw(st.lists(TEXT | st.none(), min_size=rows, max_size=rows)),
        "mixed": draw(st.lists(TEXT | st.none() | FLOATS | st.integers(-5, 5) | st.booleans(), min_size=rows, max_size=rows)),
    }
    frame = pd.DataFrame({
        "float": pd.Series(columns["float"], dtype="float64"),
        "int": pd.Series(columns["int"], dtype="int64"),
        "flag": pd.Series(columns["flag"], dtype=bool),
        "text": pd.Series(columns["text"], dtype="str"),
        "code": pd.Categorical(columns["text"]),
        "mixed": pd.Series(columns["mixed"], dtype=object),
    })
    keep = draw(st.lists(st.sampled_from(list(frame.columns)), min_size=1, max_size=6, unique=True))
    frame = frame[keep]
    if draw(st.booleans()):
        frame.index = pd.Index([f"L{i}" for i in range(rows)], name="listing,id")
    return frame


@settings(max_examples=300, deadline=None)
@given(tables(), st.sampled_from([(",", "."), (";", ",")]), st.booleans())
def test_csv_text_is_what_pandas_writes(frame, notation, header):
    sep, decimal = notation
    index = frame.index.name is not None
    text = csv_text(frame, sep=sep, decimal=decimal, index=index, header=header)
    expected = frame.to_csv(sep=sep, decimal=decimal, index=index, header=header)
    if frame.shape[1] + int(index) < 2:
        assert text is None  # a lone field is left to pandas (the standard writer quotes an empty one)
    else:
        assert text == expected


def test_numbers_are_written_as_their_shortest_text():
    frame = pd.DataFrame({"a": [0.1 + 0.2, 5.2e-05, 1e16, np.nan, -0.0, 12.0], "b": list("uvwxyz")})
    assert csv_text(frame, sep=";", decimal=",").splitlines() == [
        "a;b", "0,30000000000000004;u", "5,2e-05;v", "1e+16;w", ";x", "-0,0;y", "12,0;z"]


def test_quotes_what_holds_the_separator_a_quote_or_a_line_feed():
    frame = pd.DataFrame({"a": ["x,y", 'say "hi"', "two\nlines", "x;y"], "b": [1, 2, 3, 4]})
    assert csv_text(frame) == 'a,b\n"x,y",1\n"say ""hi""",2\n"two\nlines",3\nx;y,4\n'
    assert csv_text(frame, sep=";").endswith('\n"x;y";4\n')


@pytest.mark.parametrize("column", [
    pd.Series(pd.to_datetime(["2026-01-01", None])),
    pd.Series([1.5, None], dtype="float32"),
    pd.Series([1, None], dtype="Int64"),
    pd.Series([1 + 2j, 3j]),
    pd.Series([[1], [2]]),
])
def test_columns_it_does_not_format_are_left_to_pandas(column):
    assert csv_text(pd.DataFrame({"a": column, "b": ["x", "y"]})) is None


def test_write_csv_for_excel_writes_pandas_bytes_either_way(tmp_path):
    frame = pd.DataFrame({"quantity": [1234.5, np.nan], "name": ["=SUM(A1)", "Asnæs, Kalundborg"],
                          "when": pd.to_datetime(["2026-01-01", "2026-02-01"])})
    for table in (frame, frame.drop(columns="when")):
        for danish in (False, True):
            path = write_csv_for_excel(table, tmp_path / "t.csv", danish=danish)
            expected = table.assign(name=["'=SUM(A1)", "Asnæs, Kalundborg"]).to_csv(
                sep=";" if danish else ",", decimal="," if danish else ".", index=False)
            assert path.read_text(encoding="utf-8-sig") == expected


def test_objects_categories_and_labels_are_written_as_pandas_writes_them():
    frames = [
        pd.DataFrame({"a": pd.Series([np.float64(1.5), np.float64(-np.inf), "s", np.int64(3), np.bool_(True)],
                                     dtype=object), "b": list("vwxyz")}),
        pd.DataFrame({"a": pd.Categorical([1.5, np.nan, 2.0]), "b": ["x", "y", "z"]}),
        pd.DataFrame({1.5: [1.0], 2.5: [2.0]}),
        pd.DataFrame({np.nan: [1.0], "b": [2.0]}),
        pd.DataFrame({pd.Timestamp("2026-01-01"): [1.0], "b": [2.0]}),
        pd.DataFrame({"a": [np.array([1, 2])], "b": ["x"]}),
    ]
    for frame in frames:
        for sep, decimal in ((",", "."), (";", ",")):
            text = csv_text(frame, sep=sep, decimal=decimal)
            assert text is None or text == frame.to_csv(sep=sep, decimal=decimal, index=False)
    assert csv_text(frames[0]) is not None and csv_text(frames[1], sep=";", decimal=",") == "a;b\n1.5;x\n;y\n2.0;z\n"
    assert csv_text(frames[2]) is None  # labels other than text are left to pandas
