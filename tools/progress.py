"""Progress bars on stderr (tqdm), shown only to a person: off with --quiet or when stderr is not a terminal; and
bulk work without the cyclic garbage collector."""
from __future__ import annotations

import gc
import sys
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress(total: int | None, what: str, quiet: bool = False):
    bar = tqdm(total=total, desc=what, unit=" rows", file=sys.stderr, disable=quiet or not sys.stderr.isatty(),
               dynamic_ncols=True, leave=False)
    try:
        yield bar
    finally:
        bar.close()


@contextmanager
def bulk():
    """Pause the cyclic garbage collector while many submissions are read and scored: JSON trees and columns hold
    no reference cycles (reference counting frees them), and each collection would walk every row held, a cost
    that grows with the file (a third of the time of a 25,000-row batch)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
