"""Dynamic management of existing national green factories: a failed gate flags a factory for removal at once; so
does being in the bottom 5 % of its sector's cohort three rounds in a row (reported, DOMAIN §3: "bottom 5 % for 3
consecutive years → removed"). A round the factory was not evaluated in breaks the run.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Sequence

BOTTOM_SHARE = Decimal("0.05")
ROUNDS_IN_A_ROW = 3
GATE_FAILED, BOTTOM_THREE_ROUNDS = "gate_failed", "bottom_three_rounds"


def removal_reason(eligible: bool | None, bottoms: Sequence[bool | None]) -> str | None:
    """Why an existing factory is flagged for removal this round, or None.

    bottoms: whether it was in the bottom share in each round up to this one, oldest first, None for a round it
    was not evaluated in (which breaks the run)."""
    if eligible is False:
        return GATE_FAILED
    recent = list(bottoms)[-ROUNDS_IN_A_ROW:]
    if len(recent) == ROUNDS_IN_A_ROW and all(b is True for b in recent):
        return BOTTOM_THREE_ROUNDS
    return None
