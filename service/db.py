"""The database: an engine per URL, read and write sessions, and migrations to head.

Every write runs in one transaction that also appends its audit entry. On SQLite, write transactions
start with BEGIN IMMEDIATE, so two writers queue for the lock instead of one failing half-way (and the
writers of one process queue on a threading lock first, which is fairer and faster than SQLite's busy
sleeps); reads stay deferred and, in WAL mode, never wait for a writer.
"""
from __future__ import annotations

import threading
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
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
    writer_engine = engine.execution_options(**{WRITE: True})
    lock = threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
    info = {faults.INFO_KEY: faults.FaultPoint(fault)} if fault else {}
    return Database(engine, sessionmaker(engine, expire_on_commit=False),
                    sessionmaker(writer_engine, expire_on_commit=False, info=info), lock)


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


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to revision with Alembic, in one transaction where the database allows it."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.execution_options(**{WRITE: True}).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(db: Database) -> str | None:
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
