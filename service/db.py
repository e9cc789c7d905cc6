"""The database: an engine per URL, read and write sessions, and migrations to head.

Every write runs in one transaction that also appends its audit entry. On SQLite, write transactions
start with BEGIN IMMEDIATE, so two writers queue for the lock instead of one failing half-way (and the
writers of one process queue on a threading lock first, which is fairer and faster than SQLite's busy
sleeps); reads stay deferred and, in WAL mode, never wait for a writer.
"""
from __future__ import annotations

import fcntl
import threading
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from . import faults
from .config import sqlalchemy_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
IN_LIST_CHUNK = 500  # values per IN (...) list: well under SQLite's bound-parameter limit
WRITE = "gf_write"


@dataclass(frozen=True, slots=True)
class Database:
    engine: Engine
    reader: sessionmaker
    writer: sessionmaker
    write_lock: AbstractContextManager  # SQLite: writers of this process queue here, not in SQLite's busy sleeps

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back (nothing written) if it raises."""
        with self.write_lock, self.writer.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def in_chunks(values: Sequence) -> Iterator[list]:
    """values in slices for IN (...) lists, so that a query works however many rows it is about."""
    values = list(values)
    for start in range(0, len(values), IN_LIST_CHUNK):
        yield values[start:start + IN_LIST_CHUNK]


def connect(url: str, fault: str = "") -> Database:
    """An engine for url (SQLite or PostgreSQL); no connection is made until first use. fault: the test-only fault
    point's spec (service/faults.py), carried by the write sessions."""
    url = sqlalchemy_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_pragmas(engine)
    else:
        engine = create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    _reconnect_when_read_only(engine)
    writer_engine = engine.execution_options(**{WRITE: True})
    lock = threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
    info = {faults.INFO_KEY: faults.FaultPoint(fault)} if fault else {}
    return Database(engine, sessionmaker(engine, expire_on_commit=False),
                    sessionmaker(writer_engine, expire_on_commit=False, info=info), lock)


SQLITE_READONLY = 8  # the primary result code; extended codes (SQLITE_READONLY_DBMOVED, ...) carry it in the low byte
POSTGRES_READ_ONLY = "25006"  # read_only_sql_transaction: a hot standby, or default_transaction_read_only


def _read_only(error: BaseException) -> bool:
    if getattr(error, "sqlstate", None) == POSTGRES_READ_ONLY:
        return True
    code = getattr(error, "sqlite_errorcode", None)  # sqlite3 errors carry it since Python 3.11
    return code is not None and code & 0xFF == SQLITE_READONLY


def _reconnect_when_read_only(engine: Engine) -> None:
    """A write refused because the connection is read-only drops that connection and every other the pool holds.
    SQLite opens a file it may not write read-only and keeps it so, and a PostgreSQL failover may have pointed the
    pool at a standby: without this, a moment of read-only storage would refuse writes until a restart. The write
    answers 503 (an OperationalError, like a lost connection); the next one opens fresh connections."""
    @event.listens_for(engine, "handle_error")
    def on_error(context):
        if not _read_only(context.original_exception):
            return None
        context.is_disconnect = True
        if isinstance(context.sqlalchemy_exception, OperationalError):
            return None
        return OperationalError(context.statement, context.parameters, context.original_exception,
                                connection_invalidated=True)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's begin event below decides how to BEGIN
        cursor = dbapi_connection.cursor()
        # WAL with synchronous=NORMAL: a commit is in the WAL file before it returns, so a killed process loses
        # nothing; a power cut or OS crash may lose the last commits but never half of one, nor corrupts the file
        # (the audit chain stays whole, only shorter). FULL would add an fsync to every commit, with writers
        # queueing behind it; checkpoints still fsync.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        immediate = connection.get_execution_options().get(WRITE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class SchemaNewer(Exception):
    """The database's schema is at a revision this software does not know: a newer release migrated it. Nothing is
    changed; the service does not start and `greenfactory db upgrade` exits 1."""

    code = "database.schema.newer"

    def __init__(self, found: str, known: str):
        self.found, self.known = found, known
        self.message_zh = (f"数据库结构版本为 {found}，比本软件所知的最新版本 {known} 更新：请先将 greenfactory"
                           "升级到写入该数据库的版本，或使用另一个数据库。")
        self.message_en = (f"The database's schema is at revision {found}, newer than {known}, the newest this"
                           " software knows: upgrade greenfactory to the release that wrote it, or use another"
                           " database.")
        super().__init__(f"{self.code} {self.message_en}")


MIGRATION_LOCK = 0x6766_6D69_6772  # PostgreSQL advisory lock key: "gfmigr"


@contextmanager
def exclusive(db: Database) -> Iterator[None]:
    """One process at a time per database: two processes migrating a fresh database at once would both create the
    tables (PostgreSQL answers the second with an IntegrityError), and both would record the bundled policies. A
    PostgreSQL advisory lock, held by a connection of its own; on SQLite an flock on <file>.lock beside the
    database (SQLite's write lock already serialises the migration's one transaction; the file lock also covers
    what runs after it, and does not rest on every future migration staying inside one transaction)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()
        return
    path = db.engine.url.database
    if db.engine.dialect.name != "sqlite" or not path or path == ":memory:":
        yield
        return
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def upgrade(db: Database, revision: str = "head", then: Callable[[], object] | None = None) -> None:
    """Bring the schema to revision with Alembic, in one transaction where the database allows it, holding
    exclusive(db); then (e.g. loading the bundled policies) runs under the same lock. SchemaNewer if the database is
    at a revision this software does not know."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    with exclusive(db):
        with db.engine.execution_options(**{WRITE: True}).begin() as connection:
            found = MigrationContext.configure(connection).get_current_revision()
            if found is not None and found not in {r.revision for r in script.walk_revisions()}:
                raise SchemaNewer(found, script.get_current_head())
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        if then is not None:
            then()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
