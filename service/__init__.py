"""The scoring service: a thin HTTP and storage shell around the pure engine."""
from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
