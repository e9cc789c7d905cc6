"""What an enterprise self-reports for a period, after intake validation (see engine.submission.intake)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

GENERAL = "general"  # the sector of every enterprise outside the key sectors

# The kinds of a reported value, by the type of the value a record holds (bool, Decimal, str): a condition compares
# values of one kind only (engine.scoring.condition), a fact's type asks for one (engine.submission.intake), and the
# population's columns hold one per row (engine.population). Anything else is OTHER. True is a FLAG, never the NUMBER 1.
ABSENT, FLAG, NUMBER, TEXT, OTHER = 0, 1, 2, 3, 4
KIND_OF_TYPE = {bool: FLAG, int: NUMBER, Decimal: NUMBER, str: TEXT}

Fact = bool | Decimal | str


@dataclass(frozen=True, slots=True)
class Document:
    """A supporting document, by content hash."""

    name: str
    sha256: str
    uploaded_by: str


@dataclass(frozen=True, slots=True)
class Case:
    """A qualifying case (e.g. a raw-material saving), counted only with evidence where required."""

    title: str
    evidence: tuple[Document, ...]


@dataclass(frozen=True, slots=True)
class ProductReport:
    id: str
    output: Decimal | None  # tonnes (or the product's unit) in the period
    energy_use_tce: Decimal | None  # weights the product's score
    values: dict[str, Decimal]  # per-product metric values, e.g. energy_intensity in kgce/t


@dataclass(frozen=True, slots=True, eq=False)
class Submission:
    period: str
    uscc: str
    name: str
    region: str  # GB/T 2260 code, 6 digits
    sector: str  # a key sector id, or "general"
    industry_code: str  # GB/T 4754-2017
    energy_use_tce: Decimal | None
    output_value: Decimal | None  # 10k CNY
    products: tuple[ProductReport, ...]
    data: dict[str, Decimal]
    cases: dict[str, tuple[Case, ...]]
    facts: dict[str, Fact]
    evidence: dict[str, tuple[Document, ...]]  # by indicator id or rule id
    digest: str  # sha256 of the canonical submission JSON
