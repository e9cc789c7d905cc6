"""Evaluations per second and latency on a key-sector submission, both backends side by side.

    .venv/bin/python benchmarks/evaluate.py [--seconds 3] [--policy green-factory@2025.1] [SUBMISSION.json]

Prints figures; asserts nothing. Rows:
  builtin, trace captured   evaluate() as the service calls it: the trace records what to render
  builtin, trace rendered   evaluate() + the trace rendered to canonical JSON bytes (what is stored)
  builtin, no trace         evaluate(trace=False)
  durable-rules             the Rete backend, same trace captured
  intake                    parse_submission(): JSON Schema + policy checks, for context
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Catalog, canonical_json, evaluate, parse_submission  # noqa: E402
from engine.backends import get_backend  # noqa: E402


def measure(fn, seconds: float) -> dict:
    for _ in range(200):  # warm up caches and the allocator
        fn()
    samples: list[int] = []
    gc.collect()
    deadline = time.perf_counter() + seconds
    clock = time.perf_counter_ns
    while time.perf_counter() < deadline:
        for _ in range(100):
            start = clock()
            fn()
            samples.append(clock() - start)
    samples.sort()
    total = sum(samples) / 1e9
    return {"n": len(samples), "per_s": len(samples) / total, "p50_us": samples[len(samples) // 2] / 1e3,
            "p99_us": samples[int(len(samples) * 0.99)] / 1e3, "mean_us": statistics.fmean(samples) / 1e3}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", nargs="?", type=Path, default=ROOT / "examples" / "submissions" / "cement-plant.json")
    parser.add_argument("--policy", default="green-factory@2025.1")
    parser.add_argument("--seconds", type=float, default=3.0, help="time per row")
    args = parser.parse_args()

    cp = Catalog.from_dir(ROOT / "policies").get(args.policy)
    raw = json.loads(args.submission.read_text(encoding="utf-8"))
    sub = parse_submission(cp.policy, raw)
    reference = canonical_json(evaluate(cp, sub))

    rows = [("builtin, trace captured", lambda: evaluate(cp, sub)),
            ("builtin, trace rendered", lambda: canonical_json(evaluate(cp, sub))),
            ("builtin, no trace", lambda: evaluate(cp, sub, trace=False))]
    try:
        durable = get_backend("durable")(cp)
        if canonical_json(durable.evaluate(sub)) != reference:
            print("durable-rules disagrees with the built-in backend on this submission", file=sys.stderr)
            return 1
        rows.append(("durable-rules, trace captured", lambda: durable.evaluate(sub)))
    except ImportError as exc:
        print(f"durable-rules row skipped: {exc}", file=sys.stderr)
    rows.append(("intake (parse_submission)", lambda: parse_submission(cp.policy, raw)))

    print(f"{cp.policy.ref}, {args.submission.name} (sector {sub.sector}): {len(cp.rules)} rules, {len(cp.gates)} gates;"
          f" {args.seconds:g} s per row, one process, one thread")
    print(f"{'':32} {'evals/s':>10} {'p50 µs':>9} {'p99 µs':>9} {'vs builtin':>11}")
    results = {}
    for name, fn in rows:
        results[name] = r = measure(fn, args.seconds)
        base = results["builtin, trace captured"]["per_s"]
        print(f"{name:32} {r['per_s']:>10,.0f} {r['p50_us']:>9.1f} {r['p99_us']:>9.1f} {r['per_s'] / base:>10.3f}×")
    if "durable-rules, trace captured" in results:
        ratio = results["builtin, trace captured"]["per_s"] / results["durable-rules, trace captured"]["per_s"]
        print(f"\nbuilt-in throughput is {ratio:.0f}× durable-rules';"
              f" built-in p50 {results['builtin, trace captured']['p50_us']:.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
