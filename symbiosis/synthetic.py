"""Generate reproducible synthetic regions (companies and their listings) for tests, demos and benchmarks.

The generator draws manufacturing companies (NACE divisions 10-33) plus a few receiver branches
(farming, biogas, district heating, waste treatment and recovery) for a region, places them around
the main towns of the region's municipalities, and gives each company the byproducts it offers and
the inputs it needs that are typical of its branch. Every number it uses comes from the data files
in ``datasets/synthetic/`` (see the README there for their sources):

* ``municipalities.csv``: town centres, spread radius and weight of each municipality;
* ``branches.csv``: the NACE classes drawn and their weights;
* ``profiles.csv``: per branch, the listings a company may have, with a probability and a
  log-uniform quantity range.

Everything is vectorised with numpy, so a million listings take seconds, and the same seed always
gives the same frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from symbiosis.data import read_dataset

#: Smallest and largest number of listings :func:`generate_region` accepts with ``n_listings``.
MIN_LISTINGS = 10
MAX_LISTINGS = 1_000_000
#: Largest number of companies accepted with ``n_companies``.
MAX_COMPANIES = 1_000_000

#: Kilometres per degree of latitude (mean Earth radius 6371.0088 km).
_KM_PER_DEG_LAT = 6371.0088 * math.pi / 180.0
#: Offsets from a town centre are clipped at this many spread radii.
_CLIP_SPREADS = 2.0
#: Significant digits kept in generated quantities.
_SIGNIFICANT_DIGITS = 3

#: Words used in the synthetic company names, by branch group (``other`` by NACE division).
_GROUP_LABELS: dict[str, str] = {
    "CA": "food",
    "CB": "textile",
    "CC": "wood and paper",
    "CD": "refinery",
    "CE": "chemicals",
    "CF": "pharma",
    "CG": "plastics and minerals",
    "CH": "metal",
    "CI": "electronics",
    "CJ": "electrical",
    "CK": "machinery",
    "CL": "vehicle",
    "CM": "furniture and repair",
}
_OTHER_LABELS: dict[str, str] = {
    "01": "farm",
    "35": "energy",
    "38": "recycling",
}

COMPANY_COLUMNS = ["company_id", "name", "nace", "lat", "lon", "municipality"]
LISTING_COLUMNS = ["listing_id", "company_id", "kind", "material", "quantity", "unit"]


@dataclass(frozen=True)
class _Branch:
    """One NACE class and the listing profiles that apply to it, as arrays."""

    nace: str
    label: str
    kinds: np.ndarray  # str
    materials: np.ndarray  # str
    units: np.ndarray  # str
    log_min: np.ndarray  # float
    log_max: np.ndarray  # float
    probability: np.ndarray  # float


@dataclass(frozen=True)
class _Region:
    municipalities: np.ndarray  # str
    lat: np.ndarray
    lon: np.ndarray
    spread_km: np.ndarray
    municipality_p: np.ndarray
    branches: tuple[_Branch, ...]
    branch_p: np.ndarray
    #: Mean number of listings per company (after the at-least-one rule), for sizing.
    mean_listings: float


def _label(nace: str, group: str) -> str:
    if group == "other":
        return _OTHER_LABELS.get(nace[:2], "service")
    return _GROUP_LABELS.get(group, "manufacturing")


def _profile_applies(key: str, nace: str) -> bool:
    """Whether a profile key (division ``10``, group ``10.1`` or class ``10.51``) covers ``nace``."""
    if len(key) == 2:
        return nace[:2] == key
    return nace.startswith(key)


def _probability(x: np.ndarray) -> np.ndarray:
    total = x.sum()
    if not np.isfinite(total) or total <= 0 or (x < 0).any():
        raise ValueError("weights in datasets/synthetic must be non-negative with a positive sum")
    return x / total


@cache
def _load_region(region: str) -> _Region:
    munis = read_dataset("synthetic/municipalities.csv")
    munis = munis[munis["region"] == region]
    if munis.empty:
        known = sorted(set(read_dataset("synthetic/municipalities.csv")["region"]))
        raise ValueError(f"unknown region {region!r}; known regions: {', '.join(known)}")
    munis = munis.sort_values("municipality", kind="stable")

    branches_df = read_dataset("synthetic/branches.csv").sort_values("nace_class", kind="stable")
    profiles = read_dataset("synthetic/profiles.csv")
    pmin = profiles["quantity_min"].astype(float).to_numpy()
    pmax = profiles["quantity_max"].astype(float).to_numpy()
    pprob = profiles["probability"].astype(float).to_numpy()
    if (pmin <= 0).any() or (pmax < pmin).any() or ((pprob <= 0) | (pprob > 1)).any():
        raise ValueError("datasets/synthetic/profiles.csv has a bad quantity range or probability")
    keys = profiles["branch_group_or_division"].to_numpy()

    branches: list[_Branch] = []
    weights: list[float] = []
    mean_listings = 0.0
    for row in branches_df.itertuples(index=False):
        mask = np.array([_profile_applies(k, row.nace_class) for k in keys], dtype=bool)
        if not mask.any():
            raise ValueError(f"datasets/synthetic/profiles.csv has no listing for NACE class {row.nace_class}")
        sel = profiles[mask]
        probability = pprob[mask]
        branches.append(
            _Branch(
                nace=row.nace_class,
                label=_label(row.nace_class, row.branch_group),
                kinds=sel["kind"].to_numpy(dtype=object),
                materials=sel["material"].to_numpy(dtype=object),
                units=sel["unit"].to_numpy(dtype=object),
                log_min=np.log(pmin[mask]),
                log_max=np.log(pmax[mask]),
                probability=probability,
            )
        )
        weights.append(float(row.weight))
        # Expected count given the fallback of one listing when none is drawn.
        p_none = float(np.prod(1.0 - probability))
        mean_listings_branch = float(probability.sum()) + p_none
        mean_listings += float(row.weight) * mean_listings_branch
    branch_p = _probability(np.array(weights, dtype=float))
    mean_listings /= float(np.sum(weights))

    return _Region(
        municipalities=munis["municipality"].to_numpy(dtype=object),
        lat=munis["lat"].astype(float).to_numpy(),
        lon=munis["lon"].astype(float).to_numpy(),
        spread_km=munis["spread_km"].astype(float).to_numpy(),
        municipality_p=_probability(munis["weight"].astype(float).to_numpy()),
        branches=tuple(branches),
        branch_p=branch_p,
        mean_listings=mean_listings,
    )


def region_bounds(region: str = "trekantomraadet") -> tuple[float, float, float, float]:
    """Return ``(lat_min, lat_max, lon_min, lon_max)`` that every generated company lies within."""
    r = _load_region(region)
    dlat = _CLIP_SPREADS * r.spread_km / _KM_PER_DEG_LAT
    dlon = dlat / np.cos(np.radians(r.lat))
    return (
        float((r.lat - dlat).min()),
        float((r.lat + dlat).max()),
        float((r.lon - dlon).min()),
        float((r.lon + dlon).max()),
    )


def _round_significant(x: np.ndarray, digits: int) -> np.ndarray:
    """Round positive values to ``digits`` significant figures."""
    magnitude = np.floor(np.log10(x))
    scale = 10.0 ** (digits - 1 - magnitude)
    return np.round(x * scale) / scale


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    numbers = np.arange(1, n + 1).astype(str)
    return np.char.add(prefix, np.char.zfill(numbers, width)).astype(object)


def _generate(r: _Region, n_companies: int, rng: np.random.Generator):
    """Draw ``n_companies`` companies and all their listings (listings ordered by company)."""
    branch_idx = rng.choice(len(r.branches), size=n_companies, p=r.branch_p)
    muni_idx = rng.choice(len(r.municipalities), size=n_companies, p=r.municipality_p)
    spread = r.spread_km[muni_idx]
    offsets = rng.standard_normal((n_companies, 2)) * spread[:, None]
    offsets = np.clip(offsets, -_CLIP_SPREADS * spread[:, None], _CLIP_SPREADS * spread[:, None])
    lat0 = r.lat[muni_idx]
    lat = lat0 + offsets[:, 0] / _KM_PER_DEG_LAT
    lon = r.lon[muni_idx] + offsets[:, 1] / (_KM_PER_DEG_LAT * np.cos(np.radians(lat0)))

    # Listings, one branch at a time: a Bernoulli draw per (company, profile row).
    company_parts: list[np.ndarray] = []
    row_parts: list[np.ndarray] = []
    branch_parts: list[np.ndarray] = []
    for b, branch in enumerate(r.branches):
        members = np.flatnonzero(branch_idx == b)
        if members.size == 0:
            continue
        k = branch.probability.size
        draws = rng.random((members.size, k)) < branch.probability
        empty = ~draws.any(axis=1)
        if empty.any():
            # Every company lists something: pick one profile row, weighted by probability.
            fallback = rng.choice(k, size=int(empty.sum()), p=branch.probability / branch.probability.sum())
            draws[np.flatnonzero(empty), fallback] = True
        comp_pos, prof_row = np.nonzero(draws)
        company_parts.append(members[comp_pos])
        row_parts.append(prof_row)
        branch_parts.append(np.full(prof_row.size, b, dtype=np.int64))
    listing_company = np.concatenate(company_parts)
    listing_row = np.concatenate(row_parts)
    listing_branch = np.concatenate(branch_parts)
    order = np.lexsort((listing_row, listing_company))
    listing_company = listing_company[order]
    listing_row = listing_row[order]
    listing_branch = listing_branch[order]

    n_list = listing_company.size
    kinds = np.empty(n_list, dtype=object)
    materials = np.empty(n_list, dtype=object)
    units = np.empty(n_list, dtype=object)
    log_lo = np.empty(n_list)
    log_hi = np.empty(n_list)
    for b, branch in enumerate(r.branches):
        sel = listing_branch == b
        if not sel.any():
            continue
        rows = listing_row[sel]
        kinds[sel] = branch.kinds[rows]
        materials[sel] = branch.materials[rows]
        units[sel] = branch.units[rows]
        log_lo[sel] = branch.log_min[rows]
        log_hi[sel] = branch.log_max[rows]
    quantity = np.exp(log_lo + rng.random(n_list) * (log_hi - log_lo))
    quantity = _round_significant(quantity, _SIGNIFICANT_DIGITS)

    return branch_idx, muni_idx, lat, lon, listing_company, kinds, materials, quantity, units


def generate_region(
    n_companies: int | None = None,
    *,
    n_listings: int | None = None,
    seed: int = 0,
    region: str = "trekantomraadet",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (companies, listings) DataFrames in the input contract. Exactly one of n_companies / n_listings is given; with n_listings the result has exactly that many listings (10 to 1_000_000).

    Parameters
    ----------
    n_companies
        Number of companies to draw (1 to 1_000_000); each gets at least one listing.
    n_listings
        Exact number of listings wanted (10 to 1_000_000); the number of companies follows.
    seed
        Seed of ``numpy.random.default_rng``: the same seed gives identical frames.
    region
        A region of ``datasets/synthetic/municipalities.csv`` (``"trekantomraadet"``).

    Returns
    -------
    companies
        Columns ``company_id, name, nace, lat, lon, municipality``.
    listings
        Columns ``listing_id, company_id, kind, material, quantity, unit``.

    Raises
    ------
    ValueError
        When both or neither size is given, a size is out of range or not an integer, or the
        region is unknown.
    """
    if (n_companies is None) == (n_listings is None):
        raise ValueError("give exactly one of n_companies or n_listings")
    size = n_companies if n_companies is not None else n_listings
    name = "n_companies" if n_companies is not None else "n_listings"
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {size!r}")
    low, high = (1, MAX_COMPANIES) if n_companies is not None else (MIN_LISTINGS, MAX_LISTINGS)
    if not low <= size <= high:
        raise ValueError(f"{name} must be between {low:,} and {high:,}, got {size:,}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if not isinstance(region, str):
        raise ValueError(f"region must be a string, got {region!r}")
    r = _load_region(region)
    rng = np.random.default_rng(seed)

    if n_companies is not None:
        drawn = _generate(r, int(n_companies), rng)
        n_keep_companies = int(n_companies)
        n_keep_listings = drawn[4].size
    else:
        # Draw a few more companies than needed on average, then keep a prefix of them. Companies
        # are independent, so a prefix is an unbiased sample; the last kept company may lose some
        # of its listings but keeps at least one.
        n_draw = int(math.ceil(n_listings / r.mean_listings * 1.1)) + 20
        while True:
            drawn = _generate(r, n_draw, rng)
            if drawn[4].size >= n_listings:
                break
            n_draw *= 2  # rare: only when the first draw fell short
        n_keep_listings = int(n_listings)
        n_keep_companies = int(drawn[4][n_keep_listings - 1]) + 1

    branch_idx, muni_idx, lat, lon, listing_company, kinds, materials, quantity, units = drawn
    branch_idx = branch_idx[:n_keep_companies]
    muni_idx = muni_idx[:n_keep_companies]

    nace_codes = np.array([b.nace for b in r.branches], dtype=object)
    labels = np.array([b.label for b in r.branches], dtype=object)
    company_ids = _ids("C", n_keep_companies, 6)
    municipality = r.municipalities[muni_idx]
    numbers = np.arange(1, n_keep_companies + 1).astype(str).astype(object)
    names = municipality + " " + labels[branch_idx] + " company " + numbers
    companies = pd.DataFrame(
        {
            "company_id": company_ids,
            "name": names,
            "nace": nace_codes[branch_idx],
            "lat": np.round(lat[:n_keep_companies], 5),
            "lon": np.round(lon[:n_keep_companies], 5),
            "municipality": municipality,
        },
        columns=COMPANY_COLUMNS,
    )
    listings = pd.DataFrame(
        {
            "listing_id": _ids("L", n_keep_listings, 7),
            "company_id": company_ids[listing_company[:n_keep_listings]],
            "kind": kinds[:n_keep_listings],
            "material": materials[:n_keep_listings],
            "quantity": quantity[:n_keep_listings],
            "unit": units[:n_keep_listings],
        },
        columns=LISTING_COLUMNS,
    )
    return companies, listings


def write_region(out_dir, n_companies: int | None = None, *, n_listings: int | None = None,
                 seed: int = 0) -> tuple[int, int]:
    """Generate a region (see :func:`generate_region`) and write it as ``companies.csv`` and
    ``listings.csv`` in the input contract into ``out_dir``; return (companies, listings) written."""
    from pathlib import Path

    out_dir = Path(out_dir)
    companies, listings = generate_region(n_companies, n_listings=n_listings, seed=seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    companies.to_csv(out_dir / "companies.csv", index=False)
    listings.to_csv(out_dir / "listings.csv", index=False)
    return len(companies), len(listings)
