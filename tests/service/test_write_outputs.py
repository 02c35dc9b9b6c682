"""The result files of a run: the workbook written by a worker process is the one written here,
and an error on either side leaves no files behind."""

import zipfile
from functools import partial

import pytest

import service.files as files
from solvers.matching import match
from solvers.worker import Background
from symbiosis.synthetic import generate_region


@pytest.fixture(scope="module")
def run():
    return match(*generate_region(n_listings=600, seed=5))


def _sheets(path):
    with zipfile.ZipFile(path) as book:  # docProps/core.xml holds the time of writing
        return {name: book.read(name) for name in book.namelist() if name != "docProps/core.xml"}


def test_the_workbook_a_worker_writes_is_the_one_written_here(run, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "usable_cores", lambda: 2)
    here = files.write_outputs(run, tmp_path / "here")
    monkeypatch.setattr(files, "WORKBOOK_WORKER_MIN_EXCHANGES", 1)
    aside = files.write_outputs(run, tmp_path / "aside")
    assert len(run.result.exchanges) > 1
    assert [p.name for p in here] == [p.name for p in aside]
    for name in ("exchanges.csv", "unmatched.csv", "summary.json"):
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "aside" / name).read_bytes()
    book_here, book_aside = _sheets(tmp_path / "here" / "results.xlsx"), _sheets(tmp_path / "aside" / "results.xlsx")
    assert book_here.keys() == book_aside.keys() and book_here == book_aside
    assert b"inlineStr" in book_aside["xl/worksheets/sheet1.xml"]  # the exchanges are in it


def test_a_failing_workbook_worker_leaves_earlier_results_alone(run, tmp_path, monkeypatch):
    out = tmp_path / "out"
    files.write_outputs(run, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(files, "usable_cores", lambda: 2)
    monkeypatch.setattr(files, "WORKBOOK_WORKER_MIN_EXCHANGES", 1)
    # A workbook task that fails in the worker, after this process has written the CSV files.
    monkeypatch.setattr(files, "_workbook_task", lambda _run: partial(zipfile.ZipFile, mode="q"))
    with pytest.raises(ValueError, match="ZipFile requires mode"):
        files.write_outputs(run, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder is left


def test_a_background_task_returns_its_result_or_raises_its_error():
    with Background(partial(sum, [1, 2, 3])) as task:
        assert task.result() == 6
    with Background(partial(int, "not a number")) as task, pytest.raises(ValueError, match="not a number"):
        task.result()


def test_leaving_before_the_result_ends_the_worker():
    with Background(partial(__import__("time").sleep, 60)) as task:
        process = task._process
    assert process.poll() is not None


def test_the_sentences_of_a_danish_csv_read_back_as_the_engine_wrote_them():
    import pandas as pd

    from service.files import danish_numbers, english_numbers

    texts = pd.Series(["rule used-oil-130205-to-liquid-fuel: 13 02 05* serves a need for liquid-fuel (yield 0.995); "
                       "28.0 km by truck; it contributes 29,925.0 t/yr and 1,234,567.5 MWh, 0.0 m3 of water, "
                       "46,619.8 t CO2e net of 52.68 t", "not worth its transport cost: each unit would lose 3 EUR",
                       None])
    danish = danish_numbers(texts)
    assert "(yield 0,995); 28,0 km" in danish[0] and "1.234.567,5 MWh" in danish[0] and "used-oil-130205" in danish[0]
    assert "m3" in danish[0] and "CO2e" in danish[0] and "13 02 05*" in danish[0]
    assert english_numbers(danish).tolist()[:2] == texts.tolist()[:2]
