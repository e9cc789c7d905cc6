"""greenfactory evaluate: score one submission and print its trace."""
from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

from engine import IssueList, canonical_json, parse_submission
from engine.backends import get_backend

from .policy_cmd import resolve


def register(commands) -> None:
    evaluate = commands.add_parser("evaluate", help="score a submission and print its trace")
    evaluate.add_argument("submission", type=Path, metavar="SUBMISSION.json")
    evaluate.add_argument("--policy", required=True, metavar="ID@VERSION")
    evaluate.add_argument("--json", action="store_true", help="print the outcome with its trace as JSON")
    evaluate.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the reasons")
    evaluate.add_argument("--backend", choices=("builtin", "durable"), default="builtin")
    evaluate.set_defaults(run=run_evaluate)


def read_json(path: Path):
    """The file's JSON, or None after printing where it is broken."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{path}: submission.file.unreadable {getattr(exc, 'strerror', None) or 'not UTF-8 text'}", file=sys.stderr)
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        print(f"{path}:{exc.lineno}:{exc.colno}: submission.json.syntax {exc.msg}: fix the JSON here.", file=sys.stderr)
        return None
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits)
        print(f"{path}: submission.json.number_too_long a number has more than {sys.get_int_max_str_digits()} digits:"
              " report a number of sensible size.", file=sys.stderr)
        return None


def run_evaluate(args) -> int:
    found = resolve(args, args.policy)
    cp = found[0] if found else None
    raw = read_json(args.submission) if cp else None
    if raw is None:
        return 1
    try:
        sub = parse_submission(cp.policy, raw)
    except IssueList as exc:
        for issue in exc.issues:
            print(f"{args.submission}: {issue}", file=sys.stderr)
        return 1
    outcome = get_backend(args.backend)(cp).evaluate(sub)
    if args.json:
        sys.stdout.write(json.dumps(json.loads(canonical_json(outcome)), ensure_ascii=False, indent=2) + "\n")
        return 0
    print_table(cp, outcome, args.lang)
    return 0


def print_table(cp, outcome, lang: str) -> None:
    p = cp.policy
    print(f"{p.ref}  digest {p.digest}")
    print(f"submission {outcome.submission_digest}  sector {outcome.sector}\n")
    header = ("step", "status", "points", "inputs", "thresholds", "reason")
    rows = [header]
    for step in outcome.trace:
        points = "" if step.points is None else f"{step.points}" + (f"/{step.max_points}" if step.max_points is not None else "")
        inputs = "; ".join(f"{r.name.split('.')[-1]}={_show(r.value)}" for r in step.inputs)
        params = "; ".join(f"{q.name} {q.value}" for q in step.parameters if q.name in ("baseline", "leading", "band"))
        reason = step.reason.zh if lang == "zh" else step.reason.en
        line = f" [{p.file}:{step.line}]" if step.line else ""
        rows.append((step.rule, step.status, points, inputs, params, reason + line))
    widths = [min(max(_width(r[i]) for r in rows), cap) for i, cap in enumerate((34, 13, 11, 34, 34, 400))]
    for n, row in enumerate(rows):
        print("  ".join(_pad(_clip(cell, widths[i]), widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths[:5]) + "  " + "-" * 20)
    d = dict(outcome.decision)
    print(f"\ntotal {outcome.total}/{p.total_points}  bonus {outcome.bonus}  score {outcome.score}"
          f"  eligible {_show(d['eligible'])}  meets regional baseline {_show(d['meets_regional_baseline'])}")
    if outcome.flags:
        print("for review: " + ", ".join(outcome.flags))


def _show(value) -> str:
    # not a dict lookup: Decimal(0) == False and Decimal(1) == True would print numbers as yes/no
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _clip(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    out = ""
    for c in text:
        if _width(out + c) > width - 1:
            break
        out += c
    return out + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
