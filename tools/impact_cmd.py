"""greenfactory impact: what a change of policy version does to a population, before it is published.

    greenfactory impact --from green-factory@2026.1 --to green-factory-js@2026.1 submissions.jsonl

INPUT is JSON lines, CSV or XLSX (see tools/rows.py). Each submission is evaluated under both versions (keys a
version does not know are left out, as `greenfactory compare` does); the report lists pass/fail and grade
flips, the distribution of score deltas, which rules move, the sectors and authorities most affected, and the
biggest movers, each with the `greenfactory compare` command that explains it rule by rule. --json prints
everything as JSON.
"""
from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from engine.population import frame_of
from engine.versions import run_impact

from .policy_cmd import resolve
from .progress import bulk, progress
from .rows import FORMATS, count_rows, read_rows


def register(commands) -> None:
    import argparse

    cmd = commands.add_parser("impact", help="score a population under two versions and report what moves",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("input", type=Path, metavar="INPUT")
    cmd.add_argument("--from", dest="before", required=True, metavar="ID@VERSION")
    cmd.add_argument("--to", dest="after", required=True, metavar="ID@VERSION")
    cmd.add_argument("--input-format", choices=FORMATS)
    cmd.add_argument("--movers", type=int, default=20, help="how many of the biggest movers to list (default 20)")
    cmd.add_argument("--grade-by", choices=("sector", "all"), default="sector",
                     help="rank for grades among the rows of a sector (default, as rounds do) or among all rows")
    cmd.add_argument("--json", action="store_true", help="print the whole report as JSON")
    cmd.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    cmd.set_defaults(run=run_impact_cmd)


def run_impact_cmd(args) -> int:
    found = resolve(args, args.before, args.after)
    if found is None:
        return 2
    a, b = found
    numbers, raws, unreadable = [], [], []
    try:
        with bulk(), progress(count_rows(args.input, args.input_format), "reading", args.quiet) as bar:
            for row in read_rows(args.input, args.input_format):
                bar.update(1)
                if row.issues:
                    unreadable.append(row)
                else:
                    numbers.append(row.number)
                    raws.append(row.raw)
    except OSError as exc:
        print(f"greenfactory: impact.file.unreadable {args.input}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    with bulk(), progress(3, "evaluating", args.quiet) as bar:
        frame = frame_of(raws)
        bar.update(1)
        result = run_impact(a, b, frame, keys=numbers, movers=args.movers, grade_by=args.grade_by)
        bar.update(2)
    report = result.to_dict()
    for mover in report["movers"]:
        mover["compare"] = " ".join(["greenfactory", "compare", "--from", a.policy.ref, "--to", b.policy.ref,
                                     shlex.quote(str(args.input)), "--row", str(mover["key"])])
    for issue in report["population"]["issues"]:
        issue["row"] = numbers[issue["row"] - 1]
    report["population"]["unreadable"] = [{"row": r.number, "issues": [
        {"code": i.code, "path": i.json_path(), "message": i.message} for i in r.issues]} for r in unreadable]
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_report(report)
    return 0


def print_report(r: dict) -> None:
    pop, delta = r["population"], r["score_delta"]
    print(f"{r['from']['policy']} → {r['to']['policy']}")
    refused = ", ".join(f"{n} by {ref}" for ref, n in pop["refused"].items() if n) or "none"
    print(f"{pop['rows']} rows, {pop['compared']} compared; refused: {refused};"
          f" unreadable: {len(pop['unreadable'])}\n")
    print(f"score delta: {delta['up']} up, {delta['down']} down, {delta['unchanged']} unchanged; mean {delta['mean']}")
    print("  " + "  ".join(f"q{k}={v}" for k, v in delta["quantiles"].items()))
    hist = delta["histogram"]
    top = max(hist["counts"], default=0) or 1
    for lo, hi, count in zip(hist["edges"], hist["edges"][1:], hist["counts"]):
        print(f"  [{lo:>8}, {hi:>8})  {count:>7}  {'█' * round(40 * count / top)}")
    flips = r["flips"]
    print(f"\neligible: {flips['pass_to_fail']} pass → fail, {flips['fail_to_pass']} fail → pass")
    for name in ("eligible", "recommended"):
        cells = [f"{x}→{y} {n}" for x, row in flips[name].items() for y, n in row.items() if x != y]
        print(f"  {name} changes: {', '.join(cells) or 'none'}")
    grades = r["grades"]
    cells = [f"{x}→{y} {n}" for x, row in grades["matrix"].items() for y, n in row.items() if x != y]
    print(f"grades (ranked within {grades['ranked_within']}): {grades['changed']} change: {', '.join(cells) or 'none'}")
    print("\nrules that move (rows changed, mean delta):")
    for rule in sorted(r["rules"], key=lambda x: -x["changed"])[:10]:
        if rule["changed"]:
            print(f"  {rule['rule']:<44} {rule['changed']:>7}  {rule['mean_delta']:>9}")
    for key, label in (("by_sector", "sector"), ("by_authority", "authority")):
        print(f"\nby {label} (rows, mean delta, up, down, flips), most affected first:")
        for item in sorted(r[key], key=lambda x: -abs(float(x["mean_delta"] or 0)))[:10]:
            name = item.get("name", {}) or {}
            title = f"{item[label]} {name.get('en', '')}".strip()
            print(f"  {title:<36} {item['rows']:>7} {item['mean_delta']:>9} {item['up']:>7} {item['down']:>7}"
                  f" {item['flips']:>6}")
    print("\nbiggest movers:")
    for m in r["movers"]:
        signed = m["delta"] if m["delta"].startswith("-") else "+" + m["delta"]
        print(f"  row {m['key']:<7} {m['uscc']} {m['sector']:<24} {m['from']['score']:>7} → {m['to']['score']:>7}"
              f" ({signed:>7})  {m['from']['grade'] or '—'}→{m['to']['grade'] or '—'}")
        print(f"      {m['compare']}")
