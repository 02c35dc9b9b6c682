"""Optimisation: the one ``match()`` of a region, and the OR-Tools engines behind it.

A notebook user needs two lines::

    from solvers import match
    result = match(companies, listings)   # DataFrames in the input contract

``result.exchanges``, ``result.unmatched``, ``result.summary`` and ``result.graph()`` (a networkx
DiGraph of the candidate arcs) hold what was found.
"""

from __future__ import annotations

import importlib

#: Public names and the modules that hold them; imported on first use, so that importing a light
#: module of this package (e.g. ``solvers.params`` for a command line's options) stays cheap.
_PUBLIC = {
    "match": "solvers.matching", "match_in_parts": "solvers.matching", "Match": "solvers.matching",
    "SolveParams": "solvers.params", "SolverName": "solvers.params",
    "MatchResult": "solvers.result", "Status": "solvers.result",
    "CandidateParams": "symbiosis.candidates", "Objective": "symbiosis.objective",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'solvers' has no attribute {name!r}")
