"""Write-path benchmark (not a test): what an enterprise waits for when it files an evaluation, in one process.

POST /api/v1/evaluations N times through the Flask test client on a fresh SQLite database, covering intake,
evaluate, trace rendering, canonical JSON, storage with its audit entry, and the response. It prints the median, p90
and mean milliseconds per request as one JSON line.

    .venv/bin/python benchmarks/write_path.py [--requests 400] [--root CHECKOUT]

--root measures another checkout of this repository (e.g. `git worktree add /tmp/before <commit>`) with this
interpreter, so that two commits can be compared side by side in one run. Alternate the two in a loop, because
this machine's neighbours move single figures.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ENTERPRISE = "91330212MA2H7P4Q8T"  # examples/submissions/general-plant.json
POLICY = "green-factory@2025.1"
WARM_UP = 30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    root = args.root.resolve()
    sys.path.insert(0, str(root))  # the checkout measured, before anything of it is imported

    from service import create_app
    from service.auth import new_token

    body = {"policy": POLICY, "submission": json.loads((root / "examples/submissions/general-plant.json").read_text())}
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"database_url": f"sqlite:///{tmp}/gf.db", "TESTING": True, "SECRET_KEY": "benchmark"})
        db = app.extensions["greenfactory"].db
        with db.write() as session:
            row, secret = new_token("enterprise", None, ENTERPRISE, "benchmark")
            session.add(row)
        headers = {"Authorization": f"Bearer {secret}"}
        client = app.test_client()
        times = []
        for n in range(WARM_UP + args.requests):
            started = time.perf_counter()
            answer = client.post("/api/v1/evaluations", json=body, headers=headers)
            if n >= WARM_UP:
                times.append(time.perf_counter() - started)
            if answer.status_code != 201:
                print(f"write_path: {answer.status_code} {answer.get_data(as_text=True)[:300]}", file=sys.stderr)
                return 1
        db.dispose()
    times.sort()
    count = len(times)
    print(json.dumps({"root": str(root), "requests": count, "median_ms": round(times[count // 2] * 1e3, 3),
                      "p90_ms": round(times[int(count * 0.9)] * 1e3, 3),
                      "mean_ms": round(sum(times) / count * 1e3, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
