"""greenfactory batch: score every submission of a file under one policy version, column-wise.

    greenfactory batch --policy green-factory@2026.1 submissions.jsonl -o scores.csv

Input and output are JSON lines, CSV or XLSX (by file name, or --input-format / --output-format); the columns of
a CSV or XLSX input are described in tools/rows.py. A row that cannot be read or that intake refuses is written
with its row number and every issue; the other rows are scored. Exit status 0 when every row was scored, 1 when
some were refused (all written), 2 when the run could not start (unknown policy, unreadable input).
--engine single scores row by row with intake and the single evaluator instead: the same output, for checking.
--workers N scores chunks in N processes (default one per CPU; tools/scorer.py): the same output, in file order.
A JSON lines file is split by byte ranges, each read by the process that scores it.
"""
from __future__ import annotations

import os
import sys
from functools import partial
from itertools import islice, repeat
from pathlib import Path

from .policy_cmd import resolve
from .progress import bulk, progress
from .results import Writer
from .rows import FORMATS, count_rows, format_of, line_spans, lines_at, read_items
from .scorer import Job, scored as scored_chunks, spans


def register(commands) -> None:
    cmd = commands.add_parser("batch", help="score every submission of a file (JSON lines, CSV, XLSX) under one version",
                              description=__doc__, formatter_class=_raw())
    cmd.add_argument("input", type=Path, metavar="INPUT")
    cmd.add_argument("--policy", required=True, metavar="ID@VERSION")
    cmd.add_argument("-o", "--output", type=Path, required=True, metavar="OUTPUT")
    cmd.add_argument("--input-format", choices=FORMATS)
    cmd.add_argument("--output-format", choices=FORMATS)
    cmd.add_argument("--chunk", type=int, help="rows evaluated together (default: 20000 in one process; with"
                     " several workers 2500, shrinking at the end so that they finish together)")
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
        sizes = repeat(max(args.chunk, 1)) if args.chunk else iter(chunk_sizes(total or 0, workers))
        if format_of(args.input, args.input_format) == "jsonl":
            items.close()  # the workers read their spans of the file themselves
            tasks, fetch = line_spans(args.input, sizes), partial(lines_at, args.input)
        else:
            tasks, fetch = iter(lambda: list(islice(items, next(sizes))), []), None
        with bulk(), progress(total, "scoring", args.quiet) as bar:
            for result in scored_chunks(job, tasks, workers, fetch):
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


def chunk_sizes(total: int, workers: int):
    """Rows per chunk: 20,000 in one process; with workers, 2,500 shrinking to 1,000 at the end (tools.scorer.spans),
    then 20,000 for rows beyond the count (a count is a guess)."""
    if workers > 1:
        yield from (stop - start for start, stop in spans(total, workers))
    yield from repeat(20_000)
