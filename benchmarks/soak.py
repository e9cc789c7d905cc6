"""Soak script (not a test): a bounded run of mixed traffic on loopback against the served app; prints throughput,
p50/p99 latency per kind of request, errors by status, and the server's memory at start and end.

    .venv/bin/python benchmarks/soak.py [--seconds 60] [--clients 8] [--server-threads 8] [--database-url URL]

It starts the server itself (greenfactory serve on a free loopback port, by default on a fresh SQLite database in
a temporary folder; --database-url for an empty PostgreSQL database), with an enterprise and a reviewer token, and
stops it at the end. Each client picks its next request at random (seeded, by weight) among: POST an evaluation,
GET one evaluation, list evaluations, list policies, GET a policy version, the diff of two versions, a comparison
of one submission under two versions, and GET /healthz. Memory is the server process's VmRSS from /proc/<pid>/status
(sampled every --sample seconds, VmHWM the peak). At the end `greenfactory audit verify` checks everything written.
Exit status 1 if any request failed or the audit does not verify. Only 127.0.0.1 is ever contacted.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from load import HOST, ROOT, SUBMISSION, bodies, cli, serve

EVALUATE = {"policy": "green-factory@2025.1"}
PAIR = "from=green-factory@2025.1&to=green-factory@2026.1"
# kind: (weight, method, path, expected status); the paths of get_evaluation and compare are filled per request
KINDS = {
    "POST evaluation": (30, "POST", "/api/v1/evaluations", 201),
    "GET evaluation": (20, "GET", "/api/v1/evaluations/{id}", 200),
    "GET evaluations (list)": (12, "GET", "/api/v1/evaluations?limit=20", 200),
    "GET policies (list)": (5, "GET", "/api/v1/policies", 200),
    "GET policy version": (8, "GET", "/api/v1/policies/green-factory/versions/2026.1", 200),
    "GET policy diff": (5, "GET", f"/api/v1/policies/diff?{PAIR}", 200),
    "POST comparison": (5, "POST", "/api/v1/comparisons", 200),
    "GET /healthz": (15, "GET", "/healthz", 200),
}


def rss_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of a process, in KiB, from /proc/<pid>/status."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0])
    return out


class Traffic:
    """The clients' shared state: evaluation ids to read back, and per kind the latencies and statuses."""

    def __init__(self, port: int, enterprise: dict, reviewer: dict, submissions: list[bytes]):
        self.port, self.enterprise, self.reviewer, self.submissions = port, enterprise, reviewer, submissions
        self.ids: list[str] = []
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.lock = threading.Lock()

    def request(self, conn: http.client.HTTPConnection, kind: str, rng: random.Random) -> http.client.HTTPConnection:
        _, method, path, expected = KINDS[kind]
        headers, body = dict(self.enterprise), None
        if kind == "POST evaluation":
            body = rng.choice(self.submissions)
        elif kind == "GET evaluation":
            with self.lock:
                path = path.format(id=rng.choice(self.ids))
        elif kind == "GET evaluations (list)":
            headers = dict(self.reviewer)
        elif kind == "POST comparison":
            body = json.dumps({"from": "green-factory@2025.1", "to": "green-factory@2026.1",
                               "submission": json.loads(rng.choice(self.submissions))["submission"]}).encode("utf-8")
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            status, raw = f"{type(exc).__name__}", b""
            conn.close()
            conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        elapsed = time.perf_counter() - t0
        with self.lock:
            self.latencies[kind].append(elapsed)
            self.statuses[kind][status] += 1
            if kind == "POST evaluation" and status == expected:
                self.ids.append(json.loads(raw)["id"])
        return conn

    def client(self, seed: int, deadline: float) -> None:
        rng = random.Random(seed)
        names, weights = list(KINDS), [KINDS[k][0] for k in KINDS]
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        while time.monotonic() < deadline:
            conn = self.request(conn, rng.choices(names, weights)[0], rng)
        conn.close()


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[int(share * (len(ordered) - 1))] * 1000


def report(traffic: Traffic, elapsed: float) -> int:
    """The table of kinds; returns how many requests failed (a status other than the expected one, or no answer)."""
    print(f"{'kind':<26}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    failed, by_status = 0, Counter()
    for kind, (_, _, _, expected) in KINDS.items():
        samples = traffic.latencies.get(kind, [])
        if not samples:
            continue
        errors = {s: n for s, n in traffic.statuses[kind].items() if s != expected}
        failed += sum(errors.values())
        by_status.update(errors)
        print(f"{kind:<26}{len(samples):>10}{len(samples) / elapsed:>9.1f}{percentile(samples, 0.5):>9.2f}"
              f"{percentile(samples, 0.99):>9.2f}{sum(errors.values()):>8}")
    everything = [x for lane in traffic.latencies.values() for x in lane]
    print(f"{'all':<26}{len(everything):>10}{len(everything) / elapsed:>9.1f}{percentile(everything, 0.5):>9.2f}"
          f"{percentile(everything, 0.99):>9.2f}{failed:>8}")
    listed = ", ".join(f"{status}: {n}" for status, n in sorted(by_status.items(), key=str)) or "none"
    print(f"errors by status: {listed}")
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the run (default 60)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--server-threads", type=int, default=8, help="waitress threads (default 8)")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between memory samples (default 10)")
    parser.add_argument("--database-url", help="an empty database to use instead of a fresh SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gf-soak-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/soak.db"
        env = {**{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GF_FAULT")}, "GF_DATABASE_URL": url}
        uscc = json.loads(SUBMISSION.read_text(encoding="utf-8"))["enterprise"]["uscc"]
        enterprise = cli("token", "create", "--role", "enterprise", "--enterprise", uscc, env=env).stdout.strip()
        reviewer = cli("token", "create", "--role", "reviewer", "--region", "330000", env=env).stdout.strip()
        with serve(env, Path(tmp), args.server_threads) as (port, server):
            memory = [("start", rss_kib(server.pid)["VmRSS"])]
            traffic = Traffic(port, {"Authorization": f"Bearer {enterprise}", "Content-Type": "application/json"},
                              {"Authorization": f"Bearer {reviewer}"}, bodies(500))
            conn = http.client.HTTPConnection(HOST, port, timeout=60)
            for _ in range(10):  # evaluations to read back from the first request on
                conn = traffic.request(conn, "POST evaluation", random.Random(0))
            conn.close()
            traffic.latencies.clear()
            traffic.statuses.clear()
            began = time.monotonic()
            deadline = began + args.seconds
            threads = [threading.Thread(target=traffic.client, args=(k, deadline)) for k in range(args.clients)]
            for t in threads:
                t.start()
            while time.monotonic() < deadline:
                time.sleep(min(args.sample, max(0.0, deadline - time.monotonic())))
                memory.append((f"{time.monotonic() - began:.0f} s", rss_kib(server.pid)["VmRSS"]))
            for t in threads:
                t.join()
            elapsed = time.monotonic() - began
            end = rss_kib(server.pid)
        verify = subprocess.run([sys.executable, "-m", "tools.cli", "audit", "verify"], cwd=ROOT,
                                env=env, capture_output=True, text=True)

    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"soak: {elapsed:.0f} s, {args.clients} clients, waitress with {args.server_threads} threads, {database},"
          f" {os.cpu_count()} CPUs")
    failed = report(traffic, elapsed)
    print("server RSS MiB: " + ", ".join(f"{at} {kib / 1024:.1f}" for at, kib in memory)
          + f"; end {end['VmRSS'] / 1024:.1f} (peak {end['VmHWM'] / 1024:.1f})")
    print(f"{verify.stdout.strip().splitlines()[-1] if verify.stdout.strip() else verify.stderr.strip()}"
          f" (exit {verify.returncode})")
    return 1 if failed or verify.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
