"""greenfactory batch: score every submission of a file under one policy version, column-wise.

    greenfactory batch --policy green-factory@2026.1 submissions.jsonl -o scores.csv

Input and output are JSON lines, CSV or XLSX (by file name, or --input-format / --output-format); the columns of
a CSV or XLSX input are described in tools/rows.py. A row that cannot be read or that intake refuses is written
with its row number and every issue; the other rows are scored. Exit status 0 when every row was scored, 1 when
some were refused (all written), 2 when the run could not start (unknown policy, unreadable input).
--engine single scores row by row with intake and the single evaluator instead: the same output, for checking.
--workers N scores chunks in N processes (default one per CPU; tools/scorer.py): the same output, in file order.
"""
from __future__ import annotations

import os
import sys
from itertools import islice
from math import ceil
from pathlib import Path

from .policy_cmd import resolve
from .progress import bulk, progress
from .results import Writer
from .rows import FORMATS, count_rows, format_of, read_items
from .scorer import Job, scored as scored_chunks


def register(commands) -> None:
    cmd = commands.add_parser("batch", help="score every submission of a file (JSON lines, CSV, XLSX) under one version",
                              description=__doc__, formatter_class=_raw())
    cmd.add_argument("input", type=Path, metavar="INPUT")
    cmd.add_argument("--policy", required=True, metavar="ID@VERSION")
    cmd.add_argument("-o", "--output", type=Path, required=True, metavar="OUTPUT")
    cmd.add_argument("--input-format", choices=FORMATS)
    cmd.add_argument("--output-format", choices=FORMATS)
    cmd.add_argument("--chunk", type=int, help="rows evaluated together (default: 20000, or with several workers"
                     " the file split in four chunks per worker, 1000 to 20000 rows each)")
    cmd.add_argument("--workers", type=int, metavar="N", help="processes scoring chunks side by side (default: one"
                     " per CPU; 1 scores in this process); the output is the same")
    cmd.add_argument("--engine", choices=("columns", "single"), default="columns",
                     help="columns (default): NumPy over many rows; single: intake and evaluate row by row")
    cmd.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    cmd.set_defaults(run=run_batch)


def _raw():
    import argparse

    return argparse.RawDescriptionHelpFormatter


def run_batch(args) -> int:
    found = resolve(args, args.policy)
    if found is None:
        return 2
    cp = found[0]
    workers = max(args.workers or os.cpu_count() or 1, 1)
    try:
        items = read_items(args.input, args.input_format)
        total = count_rows(args.input, args.input_format)
        fmt = format_of(args.output, args.output_format)
        writer = Writer(args.output, fmt, [cr.rule.id for cr in cp.rules])
    except OSError as exc:
        print(f"greenfactory: batch.file.unreadable {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    scored = bad = 0
    try:
        job = Job(cp, next(items), fmt, args.engine)
        size = max(args.chunk or chunk_size(total, workers), 1)
        chunks = iter(lambda: list(islice(items, size)), [])
        with bulk(), progress(total, "scoring", args.quiet) as bar:
            for result in scored_chunks(job, chunks, workers):
                writer.append(result.output)
                scored, bad = scored + result.rows - result.refused, bad + result.refused
                bar.update(result.rows)
    except OSError as exc:
        print(f"greenfactory: batch.file.unreadable {args.input}: {exc}", file=sys.stderr)
        return 2
    finally:
        writer.close()
    print(f"{scored + bad} rows: {scored} scored, {bad} refused under {cp.policy.ref} → {args.output}", file=sys.stderr)
    return 1 if bad else 0


def chunk_size(total: int | None, workers: int) -> int:
    """20,000 rows in one process; with workers, about four chunks each, so that they finish together."""
    if workers <= 1:
        return 20_000
    return min(max(ceil((total or 0) / (4 * workers)), 1_000), 20_000)
