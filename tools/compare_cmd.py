"""greenfactory compare: one submission under two policy versions, rule by rule."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from engine import IssueList
from engine.versions import compare

from .evaluate_cmd import read_json
from .policy_cmd import resolve


def register(commands) -> None:
    cmd = commands.add_parser("compare", help="score a submission under two versions and show what moves")
    cmd.add_argument("submission", type=Path, metavar="SUBMISSION.json")
    cmd.add_argument("--from", dest="before", required=True, metavar="ID@VERSION")
    cmd.add_argument("--to", dest="after", required=True, metavar="ID@VERSION")
    cmd.add_argument("--json", action="store_true", help="print the comparison as JSON")
    cmd.add_argument("--all", action="store_true", help="list unchanged rules too")
    cmd.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the reasons")
    cmd.add_argument("--row", type=int, metavar="N", help="the submission at row N of a JSON lines, CSV or XLSX file"
                     " (the line, or the spreadsheet row): as greenfactory impact names its movers")
    cmd.set_defaults(run=run_compare)


def _row(path: Path, number: int):
    """The submission at a row of a many-row file, or None after saying why not."""
    from .rows import read_rows

    try:
        for row in read_rows(path):
            if row.number == number:
                for issue in row.issues:
                    print(f"{path}:{number}: {issue.code} {issue.message}", file=sys.stderr)
                return None if row.issues else row.raw
    except OSError as exc:
        print(f"{path}: submission.file.unreadable {exc.strerror or exc}", file=sys.stderr)
        return None
    print(f"{path}: submission.row.missing there is no submission at row {number}: check the row number.", file=sys.stderr)
    return None


def run_compare(args) -> int:
    found = resolve(args, args.before, args.after)
    a, b = found if found else (None, None)
    raw = (_row(args.submission, args.row) if args.row is not None else read_json(args.submission)) if b else None
    if raw is None:
        return 1
    if not isinstance(raw, dict):
        print(f"{args.submission}: submission.schema.type a submission is a JSON object.", file=sys.stderr)
        return 1
    try:
        result = compare(a, b, raw)
    except IssueList as exc:
        for issue in exc.issues:
            print(f"{args.submission}: {issue}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"{a.policy.ref} → {b.policy.ref}   submission {result.before.submission_digest[:19]}…\n")
    print(f"{'rule':<44} {'from':>12} {'to':>12} {'delta':>8}  reasons")
    for r in result.rules:
        if not (r.changed or args.all):
            continue
        before = "—" if r.before is None else f"{r.before}/{r.before_max}"
        after = "—" if r.after is None else f"{r.after}/{r.after_max}"
        print(f"{'*' if r.changed else ' '}{r.rule:<43} {before:>12} {after:>12} {r.delta:>+8}")
        for side, reason in (("from", r.before_reason), ("to", r.after_reason)):
            if reason and r.changed:
                print(f"{'':>80}{side}: {reason[args.lang]}")
    print(f"\ntotal {result.before.total} → {result.after.total} ({result.total_delta:+})"
          f"   score {result.before.score} → {result.after.score} ({result.score_delta:+})")
    for gate, x, y in result.gate_changes:
        print(f"gate {gate}: {x or '—'} → {y or '—'}")
    for field, x, y in result.flips:
        print(f"decision {field}: {x} → {y}")
    for ref, keys in result.not_read.items():
        print(f"not read by {ref}: {', '.join(keys)}")
    return 0
