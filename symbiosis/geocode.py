"""Geocode the ``address`` of companies without coordinates, and flag sites that look misplaced.

Addresses are looked up through a configured Nominatim-compatible service (the public
OpenStreetMap Nominatim, or a self-hosted one) with geopy, no faster than one request per
``min_delay_s`` (the public service's usage policy asks for at most one per second and a
``user_agent`` naming the application), and remembered in a small JSON cache file so an address is
asked once. Nothing is looked up unless a :class:`Geocoder` is given.

A site is flagged when it lies farther from the median of all sites than :func:`region_radius_km`,
and as swapped when its latitude and longitude exchanged would put it within that distance.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from symbiosis.data import read_dataset
from symbiosis.geo import geodesic_km

#: The public OpenStreetMap Nominatim service.
NOMINATIM_URL = "https://nominatim.openstreetmap.org"
#: Fewest sites for which a median site says where "the region" is.
MIN_SITES_FOR_REGION = 3


@cache
def region_radius_km() -> float:
    """How far from the median site a site may lie before it is flagged: the longest transport
    distance of any exchange rule in ``compatibility.csv`` (``max_distance_km``). A site farther
    from the middle of the region than any exchange can travel is almost surely misplaced (or
    cannot take part anyway)."""
    return float(read_dataset("compatibility.csv")["max_distance_km"].astype(float).max())


class GeocodingError(ValueError):
    """The geocoding service failed (unreachable, refused, malformed answer)."""


@dataclass(frozen=True)
class Place:
    """One geocoded address."""

    lat: float
    lon: float
    found: str  # the service's name for what it found


@dataclass
class Geocoder:
    """A Nominatim-compatible geocoding service, rate-limited and cached.

    Parameters
    ----------
    url
        Base URL of the service (``https://nominatim.openstreetmap.org`` or a self-hosted one,
        e.g. ``http://geocoder.internal:8080``); requests go to ``{url}/search``.
    user_agent
        Names the application to the service (required by the public Nominatim's policy).
    min_delay_s
        Least time between two requests, in seconds.
    cache_path
        JSON file remembering answers (also "not found"); None keeps them in memory only.
    timeout_s
        How long to wait for one answer.
    country_codes
        Restrict results to these ISO 3166-1 countries, e.g. ``"dk"``; None: anywhere.
    """

    url: str = NOMINATIM_URL
    user_agent: str = "symbiosis-engine"
    min_delay_s: float = 1.0
    cache_path: str | Path | None = None
    timeout_s: float = 10.0
    country_codes: str | None = None
    _cache: dict | None = field(default=None, init=False, repr=False)
    _lookup: object = field(default=None, init=False, repr=False)

    def _load(self) -> dict:
        if self._cache is None:
            self._cache = {}
            if self.cache_path is not None and Path(self.cache_path).is_file():
                try:
                    stored = json.loads(Path(self.cache_path).read_text(encoding="utf-8"))
                    self._cache = dict(stored.get(self.url, {}))
                except (OSError, ValueError, AttributeError):
                    self._cache = {}  # an unreadable cache is rebuilt, never trusted
        return self._cache

    def _save(self) -> None:
        if self.cache_path is None:
            return
        path = Path(self.cache_path)
        stored = {}
        if path.is_file():
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                stored = {}
        stored[self.url] = self._cache
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(stored, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(path)

    def _service(self):
        if self._lookup is None:
            from geopy.extra.rate_limiter import RateLimiter
            from geopy.geocoders import Nominatim

            parts = urlsplit(self.url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise GeocodingError(f"geocoder URL {self.url!r} is not an http(s) URL")
            service = Nominatim(
                domain=parts.netloc + parts.path.rstrip("/"), scheme=parts.scheme,
                user_agent=self.user_agent, timeout=self.timeout_s,
            )
            self._lookup = RateLimiter(
                service.geocode, min_delay_seconds=self.min_delay_s, max_retries=0, swallow_exceptions=False,
            )
        return self._lookup

    def locate(self, address: str) -> Place | None:
        """The place of ``address``, or None when the service finds nothing.

        Raises
        ------
        GeocodingError
            When the service cannot be asked or answers nonsense.
        """
        key = " ".join(address.split())
        cache = self._load()
        if key in cache:
            hit = cache[key]
            return None if hit is None else Place(hit["lat"], hit["lon"], hit["found"])
        from geopy.exc import GeopyError

        try:
            kwargs = {"exactly_one": True}
            if self.country_codes:
                kwargs["country_codes"] = self.country_codes
            location = self._service()(key, **kwargs)
        except GeopyError as exc:
            raise GeocodingError(f"the geocoder at {self.url} failed: {exc.__class__.__name__}: {exc}") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise GeocodingError(f"the geocoder at {self.url} gave no usable answer ({exc.__class__.__name__})") from None
        if location is None:
            cache[key] = None
        else:
            lat, lon = float(location.latitude), float(location.longitude)
            if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
                raise GeocodingError(f"the geocoder at {self.url} answered coordinates {lat}, {lon} for {key!r}")
            cache[key] = {"lat": lat, "lon": lon, "found": str(location.address or "")}
        self._save()
        return self.locate(key)


def misplaced_sites(lat, lon, radius_km: float | None = None) -> list[tuple[int, str]]:
    """Positions of sites far from the median site, each with a reason a person can check.

    Parameters
    ----------
    lat, lon
        Coordinates of every site (degrees).
    radius_km
        Distance from the median site beyond which a site is flagged (default
        :func:`region_radius_km`).

    Returns
    -------
    list
        ``(position, reason)``, one per flagged site; empty with fewer than
        :data:`MIN_SITES_FOR_REGION` sites.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if len(lat) < MIN_SITES_FOR_REGION:
        return []
    radius = region_radius_km() if radius_km is None else radius_km
    mid_lat, mid_lon = float(np.median(lat)), float(np.median(lon))
    away = geodesic_km(lat, lon, np.full(len(lat), mid_lat), np.full(len(lat), mid_lon))
    swapped_ok = (np.abs(lon) <= 90)
    swapped = np.full(len(lat), np.inf)
    if swapped_ok.any():
        swapped[swapped_ok] = geodesic_km(
            lon[swapped_ok], lat[swapped_ok], np.full(swapped_ok.sum(), mid_lat), np.full(swapped_ok.sum(), mid_lon)
        )
    flagged = []
    for pos in np.flatnonzero(away > radius):
        where = f"lat {lat[pos]:g}, lon {lon[pos]:g} is {away[pos]:,.0f} km from the median site ({mid_lat:.4f}, {mid_lon:.4f})"
        if swapped[pos] <= radius:
            flagged.append((int(pos), f"{where}; swapped it would be {swapped[pos]:,.0f} km away: lat and lon look swapped"))
        else:
            flagged.append((int(pos), f"{where}, beyond the region's {radius:g} km: check the coordinates"))
    return flagged
