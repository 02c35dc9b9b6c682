"""Fixtures shared by every test package (builders live in tests/helpers.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.helpers import make_transport


@pytest.fixture
def zero_transport() -> pd.DataFrame:
    return make_transport()
