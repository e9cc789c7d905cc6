"""The real server as a subprocess for the fault tests: start it (optionally with a GF_FAULT point), kill -9 it,
restart it; plain HTTP on loopback; what the database holds afterwards; throwaway PostgreSQL databases."""
from __future__ import annotations

import http.client
import io
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

from sqlalchemy import func, select, text

from service.db import connect
from service.models import AuditEntry, Evaluation

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "submissions" / "general-plant.json"
HOST = "127.0.0.1"
SHARED_POSTGRES = os.environ.get("GF_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
NINGBO = "91330212MA2H7P4Q8T"  # the enterprise of examples/submissions/general-plant.json
START_SECONDS = 90  # a bound on a hung start, never a measurement: the machine is shared and may be slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cli(env: dict, *args: str) -> tuple[int, str]:
    """greenfactory <args> on env's database: its exit code and what it printed. In this process (the same code as
    the command, without a second interpreter start on a busy machine)."""
    from tools.cli import main

    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        code = main([*args, "--database-url", env["GF_DATABASE_URL"]])
    return code, out.getvalue()


def token(env: dict, role: str, *scope: str) -> dict:
    """Authorization headers of a new token (greenfactory token create): scope is e.g. ("--enterprise", USCC)."""
    code, printed = cli(env, "token", "create", "--role", role, *scope)
    assert code == 0, printed
    return {"Authorization": f"Bearer {printed.strip().splitlines()[-1]}"}


def call(port: int, method: str, path: str, body: bytes | dict | None = None, headers: dict | None = None,
         timeout: float = 60) -> tuple[int, dict, object]:
    """(status, headers, JSON body or raw bytes); OSError or http.client errors when the server is gone."""
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        kind = response.getheader("Content-Type", "")
        parsed = json.loads(raw) if "json" in kind and raw else raw
        return response.status, dict(response.getheaders()), parsed
    finally:
        conn.close()


class Server:
    """greenfactory serve on a free loopback port, its log in a file (a full pipe would stall it)."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log_path = env, log
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self, fault: str | None = None) -> "Server":
        env = {**self.env, "GF_FAULT": fault} if fault else {k: v for k, v in self.env.items() if k != "GF_FAULT"}
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tools.cli", "serve", "--host", HOST, "--port", str(self.port)],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if call(self.port, "GET", "/healthz", timeout=2)[0] == 200:
                    return self
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
        raise AssertionError(f"the server did not answer /healthz within {START_SECONDS} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def died(self) -> int:
        """Wait for the process to end by itself (a fault point) and give its return code (-9 for SIGKILL)."""
        return self.process.wait(timeout=START_SECONDS)

    def kill(self) -> None:
        """kill -9: no shutdown handler, no rollback by the process, connections simply vanish."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=START_SECONDS)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def server_env(url: str) -> dict:
    """This process's environment for the server, on the database at url, without a fault point."""
    return {**{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GF_FAULT")}, "GF_DATABASE_URL": url}


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'gf.db'}"


@contextmanager
def shared_postgres_database():
    """A database gf_fault_<random> on the shared PostgreSQL (never restarted here), dropped afterwards."""
    import psycopg

    name = f"gf_fault_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(SHARED_POSTGRES, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise AssertionError(f"PostgreSQL at {SHARED_POSTGRES} is unreachable ({str(exc).strip()}): start it"
                             " (.ci/run does) or set GF_SKIP_POSTGRES=1 to skip these tests on purpose.") from None
    try:
        yield SHARED_POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(SHARED_POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def stored(url: str) -> dict:
    """What the database holds: evaluation ids, the subjects of evaluation.create entries, counts, the head."""
    db = connect(url)
    try:
        with db.read() as session:
            return {
                "evaluations": set(session.execute(select(Evaluation.id)).scalars()),
                "audited": set(session.execute(select(AuditEntry.subject)
                                               .where(AuditEntry.action == "evaluation.create")).scalars()),
                "actions": list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars()),
                "entries": session.scalar(select(func.count()).select_from(AuditEntry)),
                "head": session.scalar(text("SELECT seq FROM audit_head")),
            }
    finally:
        db.dispose()


def count(url: str, sql: str) -> int:
    db = connect(url)
    try:
        with db.read() as session:
            return session.scalar(text(sql))
    finally:
        db.dispose()



def plant(n: int, uscc: str = NINGBO) -> dict:
    """general-plant.json with its own carbon intensity (so no two bodies are alike) and, if given, its own code."""
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    raw["enterprise"]["uscc"] = uscc
    raw["data"]["carbon_intensity"] = round(60 + n * 0.1, 1)
    return raw


def assert_consistent(env: dict, accepted: list[str]) -> dict:
    """Nothing half-written: every id answered 201 is stored, every stored evaluation has its audit entry and every
    evaluation.create entry its evaluation, the head is the log's last entry, and `greenfactory audit verify`
    exits 0 (the chain, and every evaluation replayed). Returns what is stored."""
    url = env["GF_DATABASE_URL"]
    held = stored(url)
    assert set(accepted) <= held["evaluations"], "an evaluation answered 201 is not stored"
    assert held["evaluations"] == held["audited"], "an evaluation without its audit entry, or an entry without it"
    assert held["head"] == held["entries"], "the audit head is not the log's last entry"
    code, printed = cli(env, "audit", "verify")
    assert code == 0, printed
    return held
