"""greenfactory batch: score every submission of a file under one policy version, column-wise.

    greenfactory batch --policy green-factory@2026.1 submissions.jsonl -o scores.csv

Input and output are JSON lines, CSV or XLSX (by file name, or --input-format / --output-format); the columns of
a CSV or XLSX input are described in tools/rows.py. A row that cannot be read or that intake refuses is written
with its row number and every issue; the other rows are scored. Exit status 0 when every row was scored, 1 when
some were refused (all written), 2 when the run could not start (unknown policy, unreadable input).
--engine single scores row by row with intake and the single evaluator instead: the same output, for checking.
"""
from __future__ import annotations

import sys
from itertools import islice
from pathlib import Path

from engine.evaluator import evaluate
from engine.intake import parse_submission
from engine.issue import IssueList
from engine.population import bind, evaluate_population, frame_of

from .policy_cmd import _catalog, _get
from .progress import bulk, progress
from .results import Writer, record_of, records_of, refused
from .rows import FORMATS, count_rows, format_of, read_rows


def register(commands) -> None:
    cmd = commands.add_parser("batch", help="score every submission of a file (JSON lines, CSV, XLSX) under one version",
                              description=__doc__, formatter_class=_raw())
    cmd.add_argument("input", type=Path, metavar="INPUT")
    cmd.add_argument("--policy", required=True, metavar="ID@VERSION")
    cmd.add_argument("-o", "--output", type=Path, required=True, metavar="OUTPUT")
    cmd.add_argument("--input-format", choices=FORMATS)
    cmd.add_argument("--output-format", choices=FORMATS)
    cmd.add_argument("--chunk", type=int, default=20_000, help="rows evaluated together (default 20000)")
    cmd.add_argument("--engine", choices=("columns", "single"), default="columns",
                     help="columns (default): NumPy over many rows; single: intake and evaluate row by row")
    cmd.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    cmd.set_defaults(run=run_batch)


def _raw():
    import argparse

    return argparse.RawDescriptionHelpFormatter


def run_batch(args) -> int:
    catalog = _catalog(args)
    cp = catalog and _get(catalog, args.policy)
    if cp is None:
        return 2
    try:
        rows = read_rows(args.input, args.input_format)
        total = count_rows(args.input, args.input_format)
        writer = Writer(args.output, format_of(args.output, args.output_format), [cr.rule.id for cr in cp.rules])
    except OSError as exc:
        print(f"greenfactory: batch.file.unreadable {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    scored = bad = 0
    try:
        with bulk(), progress(total, "scoring", args.quiet) as bar:
            while chunk := list(islice(rows, max(args.chunk, 1))):
                for record in (_single(cp, chunk) if args.engine == "single" else _columns(cp, chunk)):
                    writer.write(record)
                    if record["status"] == "scored":
                        scored += 1
                    else:
                        bad += 1
                bar.update(len(chunk))
    except OSError as exc:
        print(f"greenfactory: batch.file.unreadable {args.input}: {exc}", file=sys.stderr)
        return 2
    finally:
        writer.close()
    print(f"{scored + bad} rows: {scored} scored, {bad} refused under {cp.policy.ref} → {args.output}", file=sys.stderr)
    return 1 if bad else 0


def _columns(cp, chunk: list):
    readable = [r for r in chunk if not r.issues]
    pop = evaluate_population(bind(cp, frame_of([r.raw for r in readable])))
    records = records_of(pop, [r.number for r in readable])
    for row in chunk:
        yield refused(row.number, row.issues) if row.issues else next(records)


def _single(cp, chunk: list):
    for row in chunk:
        if row.issues:
            yield refused(row.number, row.issues)
            continue
        try:
            outcome = evaluate(cp, parse_submission(cp.policy, row.raw), trace=False)
        except IssueList as exc:
            yield refused(row.number, exc.issues)
            continue
        yield record_of(row.number, row.raw, outcome, cp.policy.rounding_places)
