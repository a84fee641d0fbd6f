from __future__ import annotations

from typing import Any

import pytest

from reproduce.traceability.tests.chain import Chain, build_chain

GTIN = "4006381333931"  # a valid EAN-13


@pytest.fixture
def chain(world: Any) -> Chain:
    return build_chain(world, gtin=GTIN)
