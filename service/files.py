"""The files of a matching run: read the inputs, match, and write the results all or nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from solvers.matching import Match, Progress, match, timed
from solvers.params import SolveParams
from solvers.worker import Background, usable_cores
from symbiosis.candidates import CandidateParams
from symbiosis.data import dataset_path
from symbiosis.directives import read_directives, read_weights
from symbiosis.explain import explain_exchanges
from symbiosis.materials import default_catalog
from symbiosis.registry import read_registry
from symbiosis.schema import EXCHANGE_COLUMNS
from symbiosis.reference import read_reference
from service.results_workbook import RESULTS_WORKBOOK, write_csv_for_excel, write_results_workbook

if TYPE_CHECKING:
    from analytics.report import Analysis
    from symbiosis.geocode import Geocoder

#: The files :func:`write_outputs` writes.
OUTPUT_FILES = ("exchanges.csv", "unmatched.csv", "summary.json", RESULTS_WORKBOOK)
#: Decimals kept in the CSV files (quantities are yearly; a gram or a cent is below any data's precision).
CSV_DECIMALS = 6


@dataclass(frozen=True)
class RunFiles:
    """A matching run from files and the result files it wrote."""

    match: Match
    written: list[Path] = field(default_factory=list)


def kalundborg_paths() -> dict[str, Path]:
    """The bundled Kalundborg input files."""
    return {"companies": dataset_path("kalundborg/companies.csv"), "listings": dataset_path("kalundborg/listings.csv")}


#: Listings from which :func:`match_files` matches a region in independent parts by default: at
#: 1,000,000 listings matching at once peaks at about 9 GB, in parts at about 5 GB (and takes
#: longer: the parts are solved one after another). The files keep only the results, not the arcs.
IN_PARTS_MIN_LISTINGS = 500_000


def match_files(
    *,
    companies: str | Path | None = None,
    listings: str | Path | None = None,
    workbook: str | Path | None = None,
    directives: str | Path | None = None,
    weights: str | Path | None = None,
    out_dir: str | Path | None = None,
    candidate_params: CandidateParams | None = None,
    solve_params: SolveParams | None = None,
    progress: Progress | None = None,
    reference: str | Path | None = None,
    locale: str | None = None,
    geocoder: Geocoder | None = None,
    danish_csv: bool = False,
    scheduler: str | None = None,
    in_parts: bool | None = None,
) -> RunFiles:
    """Read and validate the input files, match, and (if ``out_dir``) write the result files.

    ``reference`` is a folder of a region's own rules, transport factors, link costs or prices
    (:func:`symbiosis.reference.read_reference`); ``locale`` (``da`` or ``en``) how numbers typed as
    text are read; ``geocoder`` places companies that have an address and no coordinates;
    ``danish_csv`` writes the CSV files with ``;`` and a decimal comma; ``scheduler`` is a Dask
    scheduler address for :func:`solvers.matching.match`; ``in_parts`` matches the region one
    independent part at a time (:func:`solvers.matching.match_in_parts`: the same exchanges, unless
    a MILP stops at its time limit, in far less memory), by default from :data:`IN_PARTS_MIN_LISTINGS` listings.

    Raises
    ------
    NotADirectoryError
        Before anything is read, when result files cannot be written into ``out_dir`` (:func:`check_out_dir`).
    InputError
        Before anything is written, when the input has problems.
    DataError
        When the reference folder's files are invalid.
    """
    if out_dir is not None:
        check_out_dir(out_dir)  # a bad path is told before the matching, not after
    timings: dict[str, float] = {}
    with timed(timings, "read"):
        registry = read_registry(companies=companies, listings=listings, workbook=workbook, locale=locale,
                                 geocoder=geocoder)
        numbers = locale if locale is not None else registry.locale  # the listings' notation
        directive_set = read_directives(directives, registry, locale=numbers) if directives is not None else None
        weight_set = read_weights(weights, locale=numbers) if weights is not None else None
        reference_data = read_reference(reference) if reference is not None else None
    if in_parts is None:
        in_parts = len(registry.listings) >= IN_PARTS_MIN_LISTINGS
    result = match(registry=registry, directives=directive_set, weights=weight_set,
                   candidate_params=candidate_params, solve_params=solve_params, progress=progress, timings=timings,
                   reference=reference_data, scheduler=scheduler, in_parts=in_parts)
    result.parameters["directives"] = None if directives is None else str(directives)
    written: list[Path] = []
    if out_dir is not None:
        with timed(result.timings, "write"):
            written = write_outputs(result, out_dir, danish_csv=danish_csv)
    return RunFiles(result, written)


def out_dir_problem(out_dir: str | Path) -> str | None:
    """Why result files cannot be written into the folder ``out_dir`` (created if missing), or None.

    Checked before a run starts, so that a bad path is told at once, not after the whole solve:
    a part of the path is a longer name than its file system takes, the path (or a folder above
    it) is a file, a link to nothing, or a folder this user cannot write into.
    """
    path = Path(out_dir)
    try:
        problem = path_name_problem(path)
        if problem is not None:
            return problem
        for place in (path, *path.absolute().parents):
            if place.is_symlink() and not place.exists():
                target = os.readlink(place)
                return f"{'it' if place == path else place} is a link to {target}, which does not exist"
            if place.exists():
                if not place.is_dir():
                    return "it is a file, not a folder" if place == path else f"{place} is a file, not a folder"
                if not os.access(place, os.W_OK | os.X_OK):
                    return f"this user may not write into the folder {place.resolve()}"
                return None
    except OSError as exc:
        return f"it cannot be used: {exc.strerror or exc}"
    return None


def path_name_problem(path: Path) -> str | None:
    """Whether a part of ``path`` has a longer name than its file system takes (told before any
    look at the part, which would fail)."""
    limit, there = 255, True
    for place in reversed([path.absolute(), *path.absolute().parents]):
        if there:
            try:
                limit = os.pathconf(place.parent, "PC_NAME_MAX")
            except (OSError, ValueError):
                pass
        if len(os.fsencode(place.name)) > limit:
            return f"the name {place.name[:40]}... is longer than the {limit} bytes a file name may have there"
        there = there and (place.exists() or place.is_symlink())
    return None


def check_out_dir(out_dir: str | Path) -> None:
    """Raise ``NotADirectoryError`` naming ``out_dir`` when result files cannot be written into it
    (:func:`out_dir_problem`)."""
    problem = out_dir_problem(out_dir)
    if problem is not None:
        raise NotADirectoryError(f"cannot write the results into {out_dir}: {problem}")


@contextmanager
def staged_files(out_dir: str | Path) -> Iterator[Path]:
    """Yield a staging folder on the file system of ``out_dir``; when the block succeeds, move every
    file written there into ``out_dir`` one by one with ``os.replace``. A failure while writing
    leaves any earlier results in ``out_dir`` intact and removes the staging folder.

    ``out_dir`` is checked first (:func:`check_out_dir`) and its links resolved. The staging folder
    is a hidden folder inside ``out_dir`` when that exists (it may be a link to, or a mount point
    of, another file system), else beside it in its parent, where ``out_dir`` is then created.
    """
    check_out_dir(out_dir)
    target = Path(out_dir).resolve()
    if target.is_dir():
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-staging-", dir=target))
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        yield staging
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(staging.iterdir()):
            os.replace(path, target / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


#: A number as the engine's sentences write it (1,234.5; 0.995), and as a Danish file writes it (1.234,5;
#: 0,995); never part of an id, code or unit (m3, CO2e).
_ENGLISH_NUMBER = re.compile(r"(?<![\w.,-])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w])")
_DANISH_NUMBER = re.compile(r"(?<![\w.,-])(\d{1,3}(?:\.\d{3})+|\d+)(,\d+)?(?![\w])")


def _swap_notation(texts: pd.Series, number: re.Pattern) -> pd.Series:
    """Sentences with every ``number`` written in the other notation: the grouping mark and the
    decimal mark trade places (``,`` and ``.``)."""
    swap = str.maketrans(",.", ".,")
    return texts.map(lambda text: number.sub(lambda m: m.group(0).translate(swap), text)
                     if isinstance(text, str) else text)


def danish_numbers(texts: pd.Series) -> pd.Series:
    """Sentences with their numbers in Danish notation: 1,234.5 becomes 1.234,5 (and 0.995 0,995)."""
    return _swap_notation(texts, _ENGLISH_NUMBER)


def english_numbers(texts: pd.Series) -> pd.Series:
    """The sentences of a file written with ``danish_csv`` back in the engine's own notation."""
    return _swap_notation(texts, _DANISH_NUMBER)


def write_outputs(run: Match, out_dir: str | Path, *, danish_csv: bool = False) -> list[Path]:
    """Write exchanges.csv, unmatched.csv, summary.json and results.xlsx into ``out_dir`` all or nothing.

    The CSV files are UTF-8 with a byte-order mark, so Excel reads æøå; ``danish_csv`` separates
    them with ``;`` and writes a decimal comma, as Danish Excel expects. Text that a spreadsheet
    would run as a formula is neutralised everywhere. From :data:`WORKBOOK_WORKER_MIN_EXCHANGES`
    exchanges, on a machine with more than one core, a worker process writes the workbook while
    this one writes the CSV files (the same files; the workbook gets only the columns it shows).
    """
    result = run.result
    workbook = _workbook_task(run)
    with staged_files(out_dir) as staging:
        path = staging / RESULTS_WORKBOOK
        aside = len(result.exchanges) >= WORKBOOK_WORKER_MIN_EXCHANGES and usable_cores() > 1
        # In this process, the CSV file and the workbook share one working-out of the explanations;
        # beside a worker each works them out a block at a time (never held for a million exchanges).
        shared = not aside and result.exchanges.index.is_unique
        explanations = explain_exchanges(result.exchanges, result.objective) if shared else None
        shown = default_catalog().shown  # hazardous codes keep their star in every file
        with Background(partial(workbook, path)) if aside else nullcontext() as background:
            def exchange_rows(part: pd.DataFrame) -> pd.DataFrame:  # rounded and explained a chunk at a time
                text = (explanations.loc[part.index] if explanations is not None
                        else explain_exchanges(part, result.objective))
                if danish_csv:  # the sentences' numbers in the file's notation too: 1.234,5, not 1,234.5
                    text = danish_numbers(text)
                rows = part[list(EXCHANGE_COLUMNS)].round(CSV_DECIMALS).assign(explanation=text.to_numpy())
                return rows.assign(material=shown(rows["material"]), need_material=shown(rows["need_material"]))

            write_csv_for_excel(result.exchanges, staging / "exchanges.csv", danish=danish_csv, derive=exchange_rows)
            unmatched = result.unmatched.copy(deep=False)  # one column replaced, none changed in place
            unmatched["nearest_km"] = unmatched["nearest_km"].round(3)
            unmatched["material"] = shown(unmatched["material"])
            if danish_csv and "reason" in unmatched:
                unmatched["reason"] = danish_numbers(unmatched["reason"])
            write_csv_for_excel(unmatched, staging / "unmatched.csv", danish=danish_csv)
            summary = json.dumps(run.summary, indent=2, ensure_ascii=False)
            (staging / "summary.json").write_text(summary + "\n", encoding="utf-8")
            if background is None:
                workbook(path, explanations=explanations)
            else:
                background.result()
    return [Path(out_dir) / name for name in OUTPUT_FILES]


#: Exchanges from which :func:`write_outputs` has a worker process write the workbook beside the
#: CSV files. At 1,000,000 listings (717,000 exchanges) the workbook alone takes about 21 s and all
#: four files 38 s one after another; side by side 33-35 s on a 2-core machine (the two processes
#: slow each other down). At 100,000 listings (70,000 exchanges) both ways took 3.7 s: starting the
#: worker and shipping the tables took what it saved; since the CSV files are written a column at a
#: time, the worker is the slower way there (4.3 s against 3.8 s in one process).
WORKBOOK_WORKER_MIN_EXCHANGES = 100_000


def _workbook_task(run: Match) -> partial:
    """:func:`write_results_workbook` of a run, waiting for its path: with the listings' and
    companies' columns the workbook shows, of the listings it names, so that it is small to ship."""
    result, registry = run.result, run.registry
    listings = registry.listings
    unmatched = result.unmatched
    if "nearest_id" in unmatched:
        named = unmatched.index.union(pd.Index(unmatched["nearest_id"].dropna().astype(str).unique()))
    else:
        named = unmatched.index
    at = listings.index.get_indexer(named)
    listings = listings.iloc[np.sort(at[at >= 0]), [listings.columns.get_loc(c) for c in ("quantity", "unit", "company_id")
                                                    if c in listings]]
    companies = registry.companies
    companies = companies[[c for c in ("company_id", "name") if c in companies]]
    return partial(write_results_workbook, exchanges=result.exchanges, unmatched=unmatched, summary=run.summary,
                   companies=companies, listings=listings)


def write_analysis(analysis: Analysis, out_dir: str | Path, *, danish_csv: bool = False) -> list[Path]:
    """Write a planner's analysis files into ``out_dir``, all or nothing (staged beside it, then moved in).

    The CSV files are written as :func:`write_outputs` writes its own: UTF-8 with a byte-order mark
    (Excel reads æøå), text a spreadsheet would run as a formula neutralised, and with
    ``danish_csv`` ``;`` and a decimal comma."""
    from analytics.marginal import summarise_marginal_values
    from analytics.exports import write_geojson, write_graphml

    out_dir = Path(out_dir)
    names = ["network.csv"]
    with staged_files(out_dir) as staging:
        def write(table, name: str, index: bool = True) -> None:
            table = table.round(CSV_DECIMALS)
            if not index:
                table = table.reset_index(drop=True)  # an unnamed index is not written
            elif table.index.name is None:
                table = table.rename_axis("")  # written, under an empty header, as pandas writes it
            write_csv_for_excel(table, staging / name, danish=danish_csv)

        write(analysis.network, "network.csv")
        for by, table in analysis.aggregates.items():
            write(table, f"aggregates_{by}.csv")
            names.append(f"aggregates_{by}.csv")
        write(analysis.unmatched_supply, "unmatched_supply.csv", index=False)
        names.append("unmatched_supply.csv")
        if analysis.marginal_values is not None:
            write(analysis.marginal_values, "marginal_values.csv")
            write(summarise_marginal_values(analysis.marginal_values), "marginal_values_by_area.csv", index=False)
            names += ["marginal_values.csv", "marginal_values_by_area.csv"]
        write_geojson(analysis.geojson, staging / "network.geojson")
        write_graphml(analysis.graphml, staging / "network.graphml")
        names += ["network.geojson", "network.graphml"]
    return [out_dir / name for name in names]
