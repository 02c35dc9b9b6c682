"""Integer scaling for OR-Tools min-cost flow: every scale factor the solvers use lives here."""

from __future__ import annotations

import numpy as np

#: Largest absolute integer arc cost after scaling. OR-Tools' cost-scaling algorithm multiplies
#: costs by (number of nodes + 1), so this leaves room for about 10^9 nodes within int64.
MAX_SCALED_COST = 1e9
#: Bound on (total supply in flow units) x (largest scaled cost): keeps every cost sum in int64.
MAX_TOTAL_COST = 1e18
#: Finest quantity resolution: at most this many flow units per canonical unit (1 g per tonne).
MAX_QUANTITY_SCALE = 1e6
#: Relative weight of the tie-break (transport emissions) against the objective per unit.
TIE_BREAK_WEIGHT = 1e-3


def choose_scales(total_supply: float, max_abs_cost: float) -> tuple[float, float]:
    """Return (quantity_scale, cost_scale) for a network.

    The cost scale maps the largest cost to :data:`MAX_SCALED_COST`; the quantity scale is the
    largest power of ten, at most :data:`MAX_QUANTITY_SCALE`, that keeps
    ``total_supply * quantity_scale * MAX_SCALED_COST`` below :data:`MAX_TOTAL_COST`.
    """
    cost_scale = MAX_SCALED_COST / max_abs_cost if max_abs_cost > 0 else 1.0
    limit = MAX_TOTAL_COST / MAX_SCALED_COST / max(total_supply, 1e-12)
    quantity_scale = min(MAX_QUANTITY_SCALE, 10.0 ** np.floor(np.log10(limit)))
    return float(quantity_scale), float(cost_scale)
