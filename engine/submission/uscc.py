"""Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters, the last a check character.

Layout: registration authority (1), organisation kind (1), GB/T 2260 region of the registering office (6 digits),
organisation code (9), check character (1). The charset is the digits and the capital letters without I, O, S, V
and Z (31 characters); the check character is the value c with (sum of value_i * 3**i mod 31, for i = 0..16) + c
divisible by 31. Verified against published codes such as 91350100M000100Y43.
"""
from __future__ import annotations

import re

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
PATTERN = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")

_VALUE = {c: n for n, c in enumerate(CHARSET)}


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code; ValueError if they are not 17 of the charset."""
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError("expected 17 characters of the GB 32100 charset")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS))
    return CHARSET[-total % 31]


def with_check_digit(first17: str) -> str:
    """The full 18-character code: first17 followed by its check character."""
    return first17 + check_character(first17)


def is_well_formed(code: str) -> bool:
    """18 characters of the right kinds in the right places; says nothing of the check character."""
    return isinstance(code, str) and PATTERN.fullmatch(code) is not None


def uscc_problem(code: str) -> str | None:
    """None for a valid code, else one sentence saying what is wrong and what to do."""
    if not isinstance(code, str):
        return "The unified social credit code must be text of 18 characters."
    if len(code) != 18:
        return f"The unified social credit code has {len(code)} characters, not 18: copy it from the business licence."
    if code != code.upper() and PATTERN.fullmatch(code.upper()):
        return "The unified social credit code is written in capital letters: convert it to upper case."
    if not PATTERN.fullmatch(code):
        bad = sorted({c for c in code if c not in _VALUE})
        if bad:
            return (f"The unified social credit code contains {', '.join(repr(c) for c in bad)}, which GB 32100 does not use"
                    " (no I, O, S, V or Z): copy it from the business licence.")
        return "Characters 3 to 8 of the unified social credit code must be digits (a region code): copy it from the business licence."
    expected = check_character(code[:17])
    if code[17] != expected:
        return (f'The check character of the unified social credit code is "{code[17]}" but the first 17 characters'
                f' give "{expected}": a character was mistyped; copy it from the business licence.')
    return None
