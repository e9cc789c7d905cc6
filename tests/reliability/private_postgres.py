"""A throwaway PostgreSQL cluster of our own (initdb into a temporary folder, a free port), to stop and start under
load without disturbing the shared server on 5432 that other tests use. PostgreSQL refuses to run as root, so as
root its commands run as the postgres user (runuser)."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.reliability.served import HOST, free_port


class ClusterUnavailable(Exception):
    """initdb or pg_ctl is missing or fails: the reason, to fail the test loudly with."""


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = found[-1] if found else shutil.which("initdb")
    if not initdb:
        raise ClusterUnavailable("initdb is not installed (looked in /usr/lib/postgresql/*/bin and on PATH): install"
                                 " the PostgreSQL server package (apt-get install postgresql) to run this test.")
    return Path(initdb).parent


class PrivateCluster:
    def __init__(self):
        self.bin = _bindir()
        self.as_postgres = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="gf-pg-"))
        if self.as_postgres:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailable("running as root, and there is no postgres user to run PostgreSQL as") from None
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@{HOST}:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise ClusterUnavailable(f"{tool} {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}"
                                     f" {done.stdout.strip()[-2000:]}")

    def init(self) -> "PrivateCluster":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        return self.start()

    def start(self) -> "PrivateCluster":
        options = f"-p {self.port} -k {self.folder} -h {HOST} -c fsync=off -c max_connections=60"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"), "-w", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """fast: connections are terminated, clean shutdown; immediate: the postmaster and backends just end, as in
        a crash, and the next start recovers from the WAL."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except ClusterUnavailable:
            pass  # already stopped
        shutil.rmtree(self.folder, ignore_errors=True)
