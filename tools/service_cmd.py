"""greenfactory serve | token create/list/revoke | audit verify | db upgrade: the service's operator commands."""
from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from dataclasses import asdict

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from service.config import Settings


def register(commands) -> None:
    serve = commands.add_parser("serve", help="serve the API with waitress")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    _database_option(serve)
    serve.set_defaults(run=run_serve)

    token = commands.add_parser("token", help="create, list and revoke API tokens")
    actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a token and print it once")
    create.add_argument("--role", required=True, choices=("enterprise", "reviewer", "authority", "policy_admin"))
    create.add_argument("--region", metavar="CODE", help="GB/T 2260 code a reviewer or authority reads within")
    create.add_argument("--enterprise", metavar="USCC", help="unified social credit code an enterprise token acts for")
    create.add_argument("--name", default="", help="who holds it, for the token list")
    _database_option(create)
    create.set_defaults(run=run_token_create)
    listing = actions.add_parser("list", help="list tokens (never their secrets)")
    _database_option(listing)
    listing.set_defaults(run=run_token_list)
    revoke = actions.add_parser("revoke", help="revoke a token by its id (tok_…)")
    revoke.add_argument("token_id")
    _database_option(revoke)
    revoke.set_defaults(run=run_token_revoke)

    audit = commands.add_parser("audit", help="check the audit log")
    audit_actions = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = audit_actions.add_parser("verify", help="check the hash chain and replay every stored evaluation")
    _database_option(verify)
    verify.set_defaults(run=run_audit_verify)

    db = commands.add_parser("db", help="database schema")
    db_actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_actions.add_parser("upgrade", help="migrate the schema to the newest revision")
    _database_option(upgrade)
    upgrade.set_defaults(run=run_db_upgrade)


def _database_option(parser) -> None:
    parser.add_argument("--database-url", metavar="URL",
                        help="default: $GF_DATABASE_URL, $DATABASE_URL, else var/greenfactory.db (SQLite)")


def _settings(args) -> Settings:
    """The command's settings (tools.cli reads them as the service does), with --database-url over them."""
    return args.settings.updated({"database_url": args.database_url} if args.database_url else None)


@contextmanager
def _database(args):
    """The database at the newest schema, its connections closed when the command ends."""
    from service.db import connect, upgrade

    settings = _settings(args)
    db = connect(settings.database_url, settings.fault)
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()


def run_serve(args) -> int:
    from service import create_app, serving
    from service.policy_store import StartupError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    settings = _settings(args)
    try:
        app = create_app(asdict(settings))
    except StartupError as exc:
        print("greenfactory: the service does not start; fix these first:", file=sys.stderr)
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"greenfactory: the database cannot be used ({type(exc).__name__}): check DATABASE_URL and that the"
              " server is up.", file=sys.stderr)
        return 1
    print(f"greenfactory: serving http://{args.host}:{args.port}/ (pages; API docs at /api/v1/docs). Sign in with a"
          " token: greenfactory token create --role enterprise|reviewer|authority|policy_admin ...", file=sys.stderr)
    serving.serve(app, settings, args.host, args.port, args.threads)
    return 0


def run_token_create(args) -> int:
    from service import audit
    from service.auth import SYSTEM, new_token

    try:
        row, secret = new_token(args.role, args.region, args.enterprise, args.name)
    except ValueError as exc:
        print(f"greenfactory: token.invalid {exc}", file=sys.stderr)
        return 1
    with _database(args) as db, db.write() as session:
        session.add(row)
        audit.append(session, SYSTEM, "token.create", row.id)
    scope = row.region or row.enterprise or "all"
    print(f"created {row.id} ({row.role}, {scope}); the token is shown once, store it now:", file=sys.stderr)
    print(secret)
    return 0


def run_token_list(args) -> int:
    from service.models import Token

    with _database(args) as db, db.read() as session:
        for row in session.execute(select(Token).order_by(Token.created_at)).scalars():
            state = f"revoked {row.revoked_at}" if row.revoked_at else "active"
            print(f"{row.id}  {row.role:<12} {row.region or row.enterprise or '-':<18}  {row.created_at}  {state}"
                  f"  {row.name}")
    return 0


def run_token_revoke(args) -> int:
    from service import audit
    from service.auth import SYSTEM
    from service.models import Token, now

    with _database(args) as db, db.write() as session:
        done = session.execute(update(Token).where(Token.id == args.token_id, Token.revoked_at.is_(None))
                               .values(revoked_at=now())).rowcount
        if done:
            audit.append(session, SYSTEM, "token.revoke", args.token_id)
    if not done:
        print(f"greenfactory: token.unknown no active token {args.token_id}: see greenfactory token list.", file=sys.stderr)
        return 1
    print(f"revoked {args.token_id}", file=sys.stderr)
    return 0


def run_audit_verify(args) -> int:
    from service import audit, evaluation
    from service.models import Evaluation
    from service.policy_store import PolicyStore

    with _database(args) as db, db.read() as session:
        store = PolicyStore.open(db)
        entries, findings = audit.verify_chain(session)
        replayed = list(evaluation.verify_all(store, session))
        count = session.scalar(select(func.count()).select_from(Evaluation))
    for finding in findings + replayed:
        print(finding)
    verdict = "FAILED" if findings or replayed else "ok"
    print(f"audit {verdict}: {entries} entries chained, {count} evaluations replayed, {len(findings) + len(replayed)}"
          " findings")
    return 1 if findings or replayed else 0


def run_db_upgrade(args) -> int:
    from service.db import current_revision

    with _database(args) as db:
        print(f"database at revision {current_revision(db)}", file=sys.stderr)
    return 0
