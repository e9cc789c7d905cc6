"""Progress bars on stderr (tqdm), shown only to a person: off with --quiet or when stderr is not a terminal."""
from __future__ import annotations

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
