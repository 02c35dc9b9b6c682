"""Discrete listing options (minimum lots, partner limits, all or nothing) as arrays per arc."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Numerical slack used when checking that an arc can carry a lot.
LOT_TOL = 1e-9


@dataclass(frozen=True)
class ListingRules:
    """Discrete options of the listings in a model, as arrays aligned with the arcs."""

    offer_lot: np.ndarray
    need_lot: np.ndarray  # in need units
    offer_partners: np.ndarray  # inf where unlimited
    need_partners: np.ndarray
    offer_aon: np.ndarray
    need_aon: np.ndarray
    offer_qty: np.ndarray
    need_qty: np.ndarray

    @classmethod
    def for_arcs(cls, arcs: pd.DataFrame, offers: pd.DataFrame, needs: pd.DataFrame) -> ListingRules:
        o_pos = offers.index.get_indexer(arcs["offer_id"])
        n_pos = needs.index.get_indexer(arcs["need_id"])

        def column(frame: pd.DataFrame, pos: np.ndarray, name: str, default, dtype=float) -> np.ndarray:
            if name not in frame:
                return np.full(len(pos), default, dtype=dtype)
            return frame[name].to_numpy(dtype=dtype)[pos]

        return cls(
            offer_lot=same_everywhere(np.nan_to_num(column(offers, o_pos, "min_lot_canonical", np.nan), nan=0.0)),
            need_lot=same_everywhere(np.nan_to_num(column(needs, n_pos, "min_lot_canonical", np.nan), nan=0.0)),
            offer_partners=same_everywhere(np.nan_to_num(column(offers, o_pos, "max_partners", np.nan), nan=np.inf)),
            need_partners=same_everywhere(np.nan_to_num(column(needs, n_pos, "max_partners", np.nan), nan=np.inf)),
            offer_aon=same_everywhere(column(offers, o_pos, "all_or_nothing", False, bool)),
            need_aon=same_everywhere(column(needs, n_pos, "all_or_nothing", False, bool)),
            offer_qty=column(offers, o_pos, "quantity_canonical", np.nan),
            need_qty=column(needs, n_pos, "quantity_canonical", np.nan),
        )

    def subset(self, positions: np.ndarray) -> ListingRules:
        """The options of the arcs at ``positions``."""
        return ListingRules(**{name: take(getattr(self, name), positions) for name in self.__dataclass_fields__})

    def discrete(self) -> np.ndarray:
        """Arcs whose listings carry a discrete option."""
        return ((self.offer_lot > 0) | (self.need_lot > 0) | np.isfinite(self.offer_partners)
                | np.isfinite(self.need_partners) | self.offer_aon | self.need_aon)

    def usable(self, upper: np.ndarray, yields: np.ndarray) -> np.ndarray:
        """Arcs that can carry their listings' lots and all-or-nothing quantities at all."""
        carried = upper * (1 + LOT_TOL)
        return (
            (carried >= self.offer_lot) & (carried * yields >= self.need_lot)
            & (~self.offer_aon | (carried >= self.offer_qty))
            & (~self.need_aon | (carried * yields >= self.need_qty))
        )


def same_everywhere(values: np.ndarray) -> np.ndarray:
    """``values``, or where all are equal (such as an option no listing sets) that one value seen
    at every arc: a read-only view that takes no memory per arc."""
    if len(values) and (values == values[0]).all():
        return np.broadcast_to(values[:1], values.shape)
    return values


def take(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``values[positions]`` (positions or a mask), again a view of one value where ``values`` is
    one (see :func:`same_everywhere`; per-arc arrays of :class:`ListingRules` and
    :class:`~symbiosis.objective.ArcObjective` may be)."""
    if len(values) and values.strides == (0,):
        positions = np.asarray(positions)
        count = int(positions.sum()) if positions.dtype == bool else len(positions)
        return np.broadcast_to(values[:1], (count,))
    return values[positions]
