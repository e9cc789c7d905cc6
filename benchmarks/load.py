"""Load script (not a test): 16 concurrent clients on loopback drive POST /api/v1/evaluations for a bounded
time, beside GET /healthz as the framework's floor; prints throughput, p50/p99 and errors, and the ratio.

    .venv/bin/python benchmarks/load.py [--clients 16] [--seconds 20] [--max-requests 100000]

It starts the server itself (greenfactory serve, waitress, on a free loopback port, a fresh SQLite database in a
temporary folder) with an enterprise token, and stops it at the end; it exits 1 if any request failed. Only
127.0.0.1 is ever contacted.

Beside the latencies it prints the server process's CPU time per request in each phase (from /proc, on Linux): on a
machine busy with other work the latencies move a lot, the server's own CPU per request much less.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SUBMISSION = ROOT / "examples" / "submissions" / "general-plant.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True, timeout=120)


def wait_for(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}: see its log above")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz in time")


@contextmanager
def serve(env: dict, folder: Path, threads: int = 8) -> Iterator[tuple[int, subprocess.Popen]]:
    """greenfactory serve on a free loopback port until the block ends: (port, process). Its log goes to
    folder/server.log, a file rather than a pipe: a full pipe would stall the server."""
    port = free_port()
    log = open(folder / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "tools.cli", "serve", "--host", HOST, "--port", str(port),
                               "--threads", str(threads)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for(port, server)
        yield port, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def bodies(count: int = 200) -> list[bytes]:
    """Distinct submissions (a varied carbon intensity), so nothing can be served from a cache."""
    base = json.loads(SUBMISSION.read_text(encoding="utf-8"))
    out = []
    for n in range(count):
        base["data"]["carbon_intensity"] = round(60 + n * 0.1, 1)
        out.append(json.dumps({"policy": "green-factory@2025.1", "submission": base}).encode("utf-8"))
    return out


def cpu_seconds(pid: int) -> float | None:
    """The user and system CPU time a process has used so far, or None where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14 and 15


def phase(port: int, method: str, path: str, payloads: list[bytes] | None, headers: dict, expect: int,
          clients: int, seconds: float, max_requests: int, server_pid: int | None = None) -> dict:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    issued = iter(range(max_requests))  # next() on a shared iterator: a bounded count across threads
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(k: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        start.wait()
        while time.monotonic() < deadline[0]:
            with lock:
                n = next(issued, None)
            if n is None:
                break
            body = payloads[n % len(payloads)] if payloads else None
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == expect
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            latencies[k].append(time.perf_counter() - t0)
            if not ok:
                errors[k] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    cpu_before = cpu_seconds(server_pid) if server_pid else None
    began = time.monotonic()
    deadline[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    cpu_after = cpu_seconds(server_pid) if cpu_before is not None else None
    samples = sorted(x for lane in latencies for x in lane)
    return {"requests": len(samples), "seconds": elapsed, "rps": len(samples) / elapsed,
            "p50": statistics.median(samples) * 1000, "p99": samples[int(0.99 * (len(samples) - 1))] * 1000,
            "errors": sum(errors),
            "cpu_ms": None if cpu_after is None else (cpu_after - cpu_before) * 1000 / len(samples)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase (default 20)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per phase (default 100000)")
    parser.add_argument("--server-threads", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gf-load-") as tmp:
        env = {**os.environ, "GF_DATABASE_URL": f"sqlite:///{tmp}/load.db"}
        env.pop("DATABASE_URL", None)
        uscc = json.loads(SUBMISSION.read_text(encoding="utf-8"))["enterprise"]["uscc"]
        token = cli("token", "create", "--role", "enterprise", "--enterprise", uscc, env=env).stdout.strip()
        with serve(env, Path(tmp), args.server_threads) as (port, server):
            auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            payloads = bodies()
            bounded = dict(clients=args.clients, max_requests=args.max_requests, server_pid=server.pid)
            phase(port, "POST", "/api/v1/evaluations", payloads, auth, 201, clients=4, seconds=2, max_requests=200)
            phase(port, "GET", "/healthz", None, {}, 200, clients=4, seconds=1, max_requests=500)  # warm up
            floor = phase(port, "GET", "/healthz", None, {}, 200, seconds=args.seconds, **bounded)
            evals = phase(port, "POST", "/api/v1/evaluations", payloads, auth, 201, seconds=args.seconds, **bounded)

    print(f"{args.clients} clients, {args.seconds:g} s per phase, waitress with {args.server_threads} threads,"
          f" SQLite, {os.cpu_count()} CPUs")
    print(f"{'phase':<26}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'server CPU ms/req':>19}")
    for name, r in (("GET /healthz (floor)", floor), ("POST /api/v1/evaluations", evals)):
        cpu = "n/a" if r["cpu_ms"] is None else f"{r['cpu_ms']:.3f}"
        print(f"{name:<26}{r['requests']:>10}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['errors']:>8}{cpu:>19}")
    if evals["cpu_ms"] and floor["cpu_ms"]:
        print(f"server CPU per request, evaluation / floor = {evals['cpu_ms'] / floor['cpu_ms']:.2f}")
    errors = evals["errors"] + floor["errors"]
    print(f"evaluation p50 / floor p50 = {evals['p50'] / floor['p50']:.2f}; errors: {errors}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
