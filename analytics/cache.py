"""A bounded in-process cache of analytics results, valid for one version of the data.

The service computes a region's network, keystones and matches of the open listings once per
version of its data and serves them from here until the data change. The caller names the version
(any hashable key, e.g. the latest round and the count, latest ``updated_at`` and summed row versions
of companies, listings, proposals and exchanges); asking with a new version empties the cache, so a
result is never served for data it was not computed from. At most ``entries`` results are kept, the
least recently used leaving first. Results are shared between callers: they must not be changed.
Each process keeps its own cache (several workers compute a version once each).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

#: Results kept per process (network, keystones per dependency share, matches of the open listings ...).
CACHE_ENTRIES = 32


class AnalyticsCache:
    """Results by (data version, name), least recently used out, emptied when the version changes."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        if entries < 1:
            raise ValueError(f"a cache holds at least one entry, not {entries}")
        self.entries = entries
        self._version: Hashable | None = None
        self._results: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._results)

    def get(self, version: Hashable, name: Hashable, compute: Callable[[], Any]) -> Any:
        """The result ``name`` for the data at ``version``: cached, or computed now and kept.

        ``compute`` runs outside the lock (two requests may compute the same result once each; both
        are right). An exception in ``compute`` is raised and nothing is kept."""
        with self._lock:
            if version != self._version:
                self._results.clear()
                self._version = version
            if name in self._results:
                self._results.move_to_end(name)
                self.hits += 1
                return self._results[name]
            self.misses += 1
        result = compute()
        with self._lock:
            if version == self._version:
                self._results[name] = result
                self._results.move_to_end(name)
                while len(self._results) > self.entries:
                    self._results.popitem(last=False)
        return result

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._results.clear()
            self._version = None
