"""greenfactory demo-data | factories import | round create/submit/run/baselines/removals/flags | benchmark |
what-it-takes | authority: the cohort functions from the command line, as the operator (the `system` actor)."""
from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from .service_cmd import _database_option, _settings


def register(commands) -> None:
    demo = commands.add_parser("demo-data", help="generate the demo population; --load puts it in an empty database")
    demo.add_argument("--factories", type=int, default=10_000, help="how many factories (default 10000)")
    demo.add_argument("--seed", type=int, default=2025)
    demo.add_argument("--out", type=Path, help="write the population and its self-reports as JSON lines here")
    demo.add_argument("--load", action="store_true", help="load it into the database unless it has factories already")
    _database_option(demo)
    demo.set_defaults(run=run_demo)

    factories = commands.add_parser("factories", help="import factories from CSV, XLSX or JSON")
    factories.add_argument("action", choices=("import",))
    factories.add_argument("file", type=Path)
    _database_option(factories)
    factories.set_defaults(run=run_factories)

    rnd = commands.add_parser("round", help="rounds: create, submit, run, baselines, removals, flags")
    rnd.add_argument("action", choices=("create", "submit", "run", "baselines", "removals", "flags", "list"))
    rnd.add_argument("round", nargs="?", help="round id, e.g. 2026")
    rnd.add_argument("file", nargs="?", type=Path, help="submit: CSV, XLSX or JSON lines of submissions")
    rnd.add_argument("--policy", default="green-factory", help="create: id@version of a published policy")
    rnd.add_argument("--authority", help="baselines: one authority's code")
    _database_option(rnd)
    rnd.set_defaults(run=run_round)

    bench = commands.add_parser("benchmark", help="a factory's standing in its sector in a round")
    bench.add_argument("round")
    bench.add_argument("uscc")
    _database_option(bench)
    bench.set_defaults(run=run_benchmark)

    takes = commands.add_parser("what-it-takes", help="per rule, the smallest change that reaches a target")
    takes.add_argument("round")
    takes.add_argument("uscc")
    takes.add_argument("--target", choices=("baseline", "next_grade"), default="baseline")
    _database_option(takes)
    takes.set_defaults(run=run_what_it_takes)

    authority = commands.add_parser("authority", help="an authority's rounds: applicants, approvals, baseline")
    authority.add_argument("code")
    _database_option(authority)
    authority.set_defaults(run=run_authority)


def _operator():
    from service.auth import Principal

    return Principal("system", "reviewer", region="")  # reads everything; writes are recorded as the system actor


@contextmanager
def _services(args):
    from service import create_app

    app = create_app(asdict(_settings(args)))
    try:
        yield app.extensions["greenfactory"]
    finally:
        app.extensions["greenfactory"].db.dispose()


def _print(doc) -> int:
    print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
    return 0


def _refused(exc) -> int:
    print(f"greenfactory: {exc.code} {exc.message}", file=sys.stderr)
    for issue in getattr(exc, "issues", ()):
        print(f"  {issue.json_path() if hasattr(issue, 'json_path') else ''}: {issue.code} {issue.message}", file=sys.stderr)
    total = getattr(exc, "extra", {}).get("issues_total", 0)
    if total > len(getattr(exc, "issues", ())):
        print(f"  ... {total} issues in all: fix these and send the file again to see the rest", file=sys.stderr)
    return 1


def run_demo(args) -> int:
    from engine import Catalog
    from service import demo

    if args.out:
        cp = Catalog.from_dir(args.policies).get(demo.POLICY)
        args.out.write_bytes(demo.export(cp.policy, args.factories, args.seed))
        print(f"wrote {args.out}", file=sys.stderr)
    if args.load:
        started = time.perf_counter()
        with _services(args) as services:
            done = demo.load(services.store, factories=args.factories, seed=args.seed)
        if done is None:
            print("greenfactory: the database has factories already: demo data not loaded", file=sys.stderr)
        else:
            print(f"greenfactory: demo data loaded in {time.perf_counter() - started:.1f} s: {done['factories']} factories,"
                  f" {sum(r['evaluated'] for r in done['rounds'])} evaluations in {len(done['rounds'])} rounds",
                  file=sys.stderr)
    return 0


def _guarded(action):
    from service.errors import ApiError
    from service.tables import TableInvalid

    try:
        return action()
    except ApiError as exc:
        return _refused(exc)
    except TableInvalid as exc:
        return _refused(exc.issue)


def _rows(path: Path, services) -> list[dict]:
    """The file's rows, streamed from disk and bounded as the API's are (max_import_rows, GF_MAX_IMPORT_ROWS): the
    import holds every row in memory to take all or none; split a larger file, or raise the bound."""
    from engine import Issue
    from service.tables import KINDS, TableInvalid, read_rows

    try:
        with path.open("rb") as handle:
            return read_rows(KINDS.get(path.suffix.lower(), ""), handle, services.settings.max_import_rows)
    except OSError as exc:
        raise TableInvalid(Issue("import.file.unreadable", f"{path} cannot be read ({exc.strerror or exc}): check"
                                 " the path.", ())) from None


def run_factories(args) -> int:
    from service import cohorts
    from service.auth import SYSTEM

    with _services(args) as services:
        return _guarded(lambda: _print(cohorts.import_factories(services.store, SYSTEM, _rows(args.file, services))))


def run_round(args) -> int:
    from service import cohort_views as views
    from service import cohorts
    from service.auth import SYSTEM

    if args.action != "list" and not args.round:
        print("greenfactory: give the round id, e.g. greenfactory round run 2026", file=sys.stderr)
        return 2
    with _services(args) as services:
        store, who = services.store, _operator()

        def act():
            if args.action == "create":
                return _print(views.round_dict(cohorts.create_round(store, SYSTEM, args.round, args.policy)))
            if args.action == "submit":
                cohorts.open_round(store, args.round)  # before a long file is read
                return _print(cohorts.import_submissions(store, SYSTEM, args.round, _rows(args.file, services)))
            if args.action == "run":
                return _print(cohorts.run(store, SYSTEM, args.round))
            with services.db.read() as session:
                if args.action == "list":
                    return _print(views.rounds(session))
                if args.action == "baselines":
                    return _print(views.baselines(session, args.round, args.authority))
                return _print(views.entries(session, who, args.round, removals=args.action == "removals",
                                            flags=args.action == "flags"))

        return _guarded(act)


def run_benchmark(args) -> int:
    from service import cohort_views as views

    with _services(args) as services, services.db.read() as session:
        return _guarded(lambda: _print(views.benchmark(session, _operator(), args.round, args.uscc)))


def run_what_it_takes(args) -> int:
    from service import cohort_views as views

    with _services(args) as services, services.db.read() as session:
        return _guarded(lambda: _print(views.what_it_would_take(services.store, session, _operator(), args.round,
                                                                args.uscc, args.target)))


def run_authority(args) -> int:
    from service import cohort_views as views
    from service.auth import Principal

    with _services(args) as services, services.db.read() as session:
        return _guarded(lambda: _print(views.authority_view(session, Principal("system", "policy_admin"), args.code)))
