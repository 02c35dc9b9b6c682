"""Geography: geodesic distances on WGS84, great-circle screening and a spatial index.

Reported distances are ellipsoidal geodesics on WGS84 (Karney's algorithm), computed for whole
arrays at once with :class:`pyproj.Geod`; this is the algorithm behind ``geopy.distance.geodesic``,
which the tests use as the reference. Screening uses the great-circle (haversine) distance on a
sphere of the mean Earth radius, about ten times faster, which differs from the geodesic by at most
:data:`SCREEN_MARGIN`: a pair whose great-circle distance is beyond a limit by more than that margin
is beyond it geodesically too, so only the pairs near a limit need the exact geodesic.

The nearest-neighbour index of the candidate search is a k-d tree of 3-D unit vectors: the chord between two points on the
unit sphere grows with the angle between them, so its k nearest are the great-circle k nearest.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from pyproj import Geod
from scipy.spatial import cKDTree

if TYPE_CHECKING:
    from sklearn.neighbors import BallTree

#: Mean Earth radius (IUGG), used for great-circle distances.
EARTH_RADIUS_KM = 6371.0088
#: Largest relative difference between the great-circle distance (mean radius) and the WGS84
#: geodesic: 0.56 % (flattening 1/298.26 puts it between -0.56 % and +0.28 %); rounded up.
SCREEN_MARGIN = 0.006
#: Pairs per thread of a geodesic computation (pyproj releases the GIL, so large arrays are split
#: across the cores).
GEODESIC_CHUNK = 250_000
#: Query points from which a nearest-neighbour query runs on all cores.
PARALLEL_QUERY_POINTS = 50_000


@cache
def _wgs84() -> Geod:
    return Geod(ellps="WGS84")


def geodesic_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Geodesic distance in km between arrays of points (WGS84 degrees)."""
    lat1, lon1, lat2, lon2 = (np.asarray(a, dtype=float) for a in (lat1, lon1, lat2, lon2))
    if lat1.size == 0:
        return np.zeros(0)
    parts = min(os.cpu_count() or 1, -(-lat1.size // GEODESIC_CHUNK))
    if parts <= 1:
        return _geodesic_part(lat1, lon1, lat2, lon2)
    bounds = np.linspace(0, lat1.size, parts + 1).astype(int)
    with ThreadPoolExecutor(parts) as pool:
        pieces = pool.map(lambda a, b: _geodesic_part(lat1[a:b], lon1[a:b], lat2[a:b], lon2[a:b]), bounds[:-1], bounds[1:])
        return np.concatenate(list(pieces))


def _geodesic_part(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    _, _, metres = _wgs84().inv(lon1, lat1, lon2, lat2)
    return np.asarray(metres, dtype=float) / 1000.0


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle (haversine) distance in km on the mean-radius sphere, for screening."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(a, dtype=float)) for a in (lat1, lon1, lat2, lon2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


#: Bits per coordinate of :func:`z_order_key`: 2^26 steps of longitude are 0.6 m at the equator,
#: and the two interleaved (52 bits) are exact as a float.
Z_ORDER_BITS = 26


def z_order_key(lat, lon) -> np.ndarray:
    """A key per point that keeps most points near each other on the map near each other in order
    (a Z-order, or Morton, curve: the bits of longitude and latitude interleaved), on the whole
    globe's grid, so that a point's key does not depend on the others. NaN for a point without
    both coordinates. Numbering a network's nodes in this order keeps the nodes a solver visits
    together close in memory."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    known = np.isfinite(lat) & np.isfinite(lon)
    steps = (1 << Z_ORDER_BITS) - 1
    y = np.round((np.clip(np.where(known, lat, 0.0), -90, 90) + 90) / 180 * steps).astype(np.uint64)
    x = np.round((np.clip(np.where(known, lon, 0.0), -180, 180) + 180) / 360 * steps).astype(np.uint64)
    key = (_spread_bits(x) | (_spread_bits(y) << np.uint64(1))).astype(float)
    return np.where(known, key, np.nan)


def _spread_bits(v: np.ndarray) -> np.ndarray:
    """The bits of ``v`` (under 2^32) moved to the even positions of a 64-bit integer."""
    for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F),
                        (2, 0x3333333333333333), (1, 0x5555555555555555)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points given in degrees as 3-D unit vectors (rows)."""
    lat, lon = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    cos_lat = np.cos(lat)
    return np.column_stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)])


def build_tree(lat: np.ndarray, lon: np.ndarray) -> cKDTree:
    """A k-d tree of the points' unit vectors (points given in degrees), for :func:`query_nearest`."""
    return cKDTree(unit_vectors(lat, lon))


def build_index(lat: np.ndarray, lon: np.ndarray) -> BallTree:
    """A haversine ball tree over points given in degrees (for radius queries in radians)."""
    from sklearn.neighbors import BallTree  # only the planner's supply search uses it; it loads slowly

    return BallTree(np.radians(np.column_stack([lat, lon])), metric="haversine")


def query_nearest(tree: cKDTree, lat: np.ndarray, lon: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest indexed points of each query point: (query positions, indexed positions)."""
    k = min(k, tree.n)
    if k == 0 or len(lat) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # All cores for a large query; starting threads costs more than a small query takes.
    workers = -1 if len(lat) >= PARALLEL_QUERY_POINTS else 1
    _, neighbours = tree.query(unit_vectors(lat, lon), k=k, workers=workers)
    neighbours = np.asarray(neighbours, dtype=np.int64).reshape(len(lat), k)
    rows = np.repeat(np.arange(len(lat)), k)
    return rows, neighbours.ravel()
