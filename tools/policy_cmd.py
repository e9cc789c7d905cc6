"""greenfactory policy validate | show | test."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from engine import Catalog, PolicyInvalid, UnknownPolicy, load_policy_file, load_policy_text
from engine.policy import ledger_issues, parse_ref, read_ledger, set_scalar, write_ledger
from engine.versions import Coverage, case_files, diff_policies, percent, run_case


def register(commands) -> None:
    policy = commands.add_parser("policy", help="validate, show and test policies")
    sub = policy.add_subparsers(dest="policy_command", required=True, metavar="ACTION")

    validate = sub.add_parser("validate", help="check policy files; one issue per line as file:line:col: code message")
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    validate.add_argument("--json", action="store_true", help="print the issues as JSON")
    validate.set_defaults(run=run_validate)

    show = sub.add_parser("show", help="pillars, indicators, points, sectors and digest of a version")
    show.add_argument("ref", metavar="ID@VERSION")
    show.add_argument("--json", action="store_true", help="print the policy as JSON")
    show.set_defaults(run=run_show)

    diff = sub.add_parser("diff", help="what changed between two versions, located in both files")
    diff.add_argument("before", metavar="A", help="id@version")
    diff.add_argument("after", metavar="B", help="id@version (also of another policy)")
    diff.add_argument("--json", action="store_true", help="print the changes as JSON")
    diff.set_defaults(run=run_diff)

    publish = sub.add_parser("publish", help="publish a draft: set status published and record its digest")
    publish.add_argument("ref", metavar="ID@VERSION")
    publish.set_defaults(run=run_publish)

    test = sub.add_parser("test", help="run the golden cases beside a policy and report coverage")
    test.add_argument("ref", nargs="?", metavar="ID@VERSION", help="default: every policy")
    test.set_defaults(run=run_test)


def run_validate(args) -> int:
    results = []
    for path in args.paths:
        files = sorted(path.glob("*/*.yaml")) if path.is_dir() else [path]
        for file in files:
            try:
                policy = load_policy_file(file)
                problems = ledger_issues(policy, read_ledger(file.parent.parent))
                if problems:
                    raise PolicyInvalid(tuple(problems))
                results.append({"file": str(file), "valid": True, "policy": policy.ref, "digest": policy.digest, "issues": []})
            except PolicyInvalid as exc:
                results.append({"file": str(file), "valid": False, "issues": list(exc.issues)})
    if args.json:
        print(json.dumps([{**r, "issues": [i.to_dict() for i in r["issues"]]} for r in results], ensure_ascii=False, indent=2))
    else:
        for r in results:
            if r["valid"]:
                print(f'{r["file"]}: ok ({r["policy"]}, {r["digest"]})', file=sys.stderr)
            for issue in r["issues"]:
                print(issue)
    return 0 if all(r["valid"] for r in results) else 1


def resolve(args, *refs: str) -> list | None:
    """The compiled policies of refs from the --policies folder, or None after saying what is wrong."""
    catalog = load_catalog(args)
    if catalog is None:
        return None
    found = []
    for ref in refs:
        try:
            found.append(catalog.get(ref))
        except UnknownPolicy as exc:
            print(f"greenfactory: {exc.code}: {exc.message}", file=sys.stderr)
            return None
    return found


def load_catalog(args) -> Catalog | None:
    try:
        return Catalog.from_dir(args.policies)
    except PolicyInvalid as exc:
        print("The policies do not load; fix these first:", file=sys.stderr)
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return None


def run_show(args) -> int:
    found = resolve(args, args.ref)
    if found is None:
        return 1
    p = found[0].policy
    if args.json:
        print(json.dumps({"ref": p.ref, "digest": p.digest, "policy": p.data}, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"{p.ref}  {p.title.zh} / {p.title.en}")
    print(f"status {p.status}, effective from {p.effective_from}{' until ' + p.effective_until if p.effective_until else ''}")
    print(f"digest {p.digest}")
    print(f"rounding {p.rounding_places} places {p.rounding_mode}; total {p.total_points} points;"
          f" not applicable: {p.not_applicable}")
    for pillar in p.pillars:
        print(f"\n{pillar.id} {pillar.label.zh} / {pillar.label.en}: {pillar.points} points")
        for ind in (i for i in p.indicators if i.pillar == pillar.id):
            for rule in ind.rules:
                metrics = ", ".join(f"{m.id} ({m.basis}, {m.method}{', tiered' if m.tier else ''})" for m in rule.metrics)
                print(f"  {rule.id:<40} {rule.points:>6}  {metrics}")
    if p.bonus:
        print(f"\nbonus (cap {p.bonus.max_points}): " + ", ".join(b.id for b in p.bonus.items))
    print(f"\ngates: {len(p.gates)} ({sum(g.kind == 'negative_list' for g in p.gates)} negative list,"
          f" {sum(g.kind == 'basic_requirement' for g in p.gates)} basic requirements)")
    print(f"key sectors: {len(p.sectors)}")
    for s in p.sectors:
        print(f"  {s.id:<32} {','.join(s.codes):<14} overrides {', '.join(s.overrides)}")
    return 0


def run_diff(args) -> int:
    found = resolve(args, args.before, args.after)
    if found is None:
        return 1
    a, b = found
    changes = diff_policies(a.policy, b.policy)
    if args.json:
        print(json.dumps({"from": {"policy": a.policy.ref, "digest": a.policy.digest},
                          "to": {"policy": b.policy.ref, "digest": b.policy.digest},
                          "changes": [c.to_dict(a.policy, b.policy) for c in changes]}, ensure_ascii=False, indent=2))
        return 0
    print(f"{a.policy.ref} ({a.policy.digest[:19]}…) → {b.policy.ref} ({b.policy.digest[:19]}…)")
    for change in changes:
        print(change.text(a.policy, b.policy))
    counts = {}
    for change in changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    print(f"{len(changes)} changes" + (": " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) if counts else ""))
    return 0


def run_publish(args) -> int:
    try:
        pid, version = parse_ref(args.ref)
    except UnknownPolicy as exc:
        print(f"greenfactory: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    path = args.policies / pid / f"{version}.yaml"
    if version is None or not path.is_file():
        print(f"greenfactory: policy.unknown: no file {path}: name an existing id@version.", file=sys.stderr)
        return 1
    try:
        policy = load_policy_file(path)
        ledger = read_ledger(args.policies)
        if policy.status == "published" and ledger.get(policy.ref) == policy.digest:
            print(f"{policy.ref} is already published ({policy.digest})")
            return 0
        problems = [i for i in ledger_issues(policy, ledger) if i.code != "policy.published.unrecorded"]
        if problems:
            raise PolicyInvalid(tuple(problems))
        text = set_scalar(policy.text, ("status",), "published")
        published = load_policy_text(text, str(path), expect_id=pid, expect_version=version)
    except PolicyInvalid as exc:
        for issue in exc.issues:
            print(issue)
        return 1
    write_text_atomically(path, text)
    write_ledger(args.policies, {**ledger, published.ref: published.digest})
    print(f"published {published.ref} ({published.digest})")
    return 0


def write_text_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def run_test(args) -> int:
    if args.ref:
        targets = resolve(args, args.ref)
    else:
        catalog = load_catalog(args)
        targets = catalog and catalog.all()
    if targets is None:
        return 1
    failed = ran = 0
    for cp in targets:
        coverage = Coverage()
        for path in case_files(args.policies, cp.policy.id):
            result = run_case(cp, path, coverage)
            if result is None:
                continue
            ran += 1
            if result.passed:
                print(f"PASS {cp.policy.ref} {result.case}  score {result.total}")
            else:
                failed += 1
                print(f"FAIL {cp.policy.ref} {result.case}")
                for failure in result.failures:
                    print(f"     {failure}")
        parts = [f"{what} {n}/{total} ({percent(n, total)})" for what, n, total in coverage.report(cp)]
        print(f"coverage {cp.policy.ref}: " + ", ".join(parts))
    if ran == 0:
        print("no golden cases found: add policies/<id>/cases/*.yaml", file=sys.stderr)
        return 1
    print(f"{ran - failed} passed, {failed} failed")
    return 1 if failed else 0
