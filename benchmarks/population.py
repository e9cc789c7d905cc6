"""Batch scoring against the single-evaluation path, and a 25,000-submission impact run, side by side.

    .venv/bin/python benchmarks/population.py [--rows 25000] [--single-rows 5000] [--repeat 3]

Prints figures; asserts nothing (it does check that both paths give the same records). Rows are generated
(engine.testing.generate): for scoring, --rows for green-factory; for the impact run, half for each bundled policy, so
that each version reads keys the other does not (left out, as engine.versions.compare does).

  single path     per row, from its JSON line to its output line: parse, intake (parse_submission),
                  evaluate(trace=False), the batch record: `greenfactory batch --engine single` without the files
  single, traced  per row: intake + evaluate with its trace captured, as POST /api/v1/evaluations evaluates
  batch           from the JSON lines to the output lines, as `greenfactory batch` does without the files (parse,
                  frame_of + bind + evaluate_population, the records): in this process (1 worker), and with the
                  rows chunked over --workers processes (tools.scorer, default one per CPU), each forked worker
                  reading its chunks from the lines in memory as the CLI's read theirs from the file
  impact          A → B over the rows: bind and evaluate under both, then the summary (frame already built:
                  the service and the CLI build it once per population); and the same with the frame built
  files           `greenfactory batch` end to end, JSON lines in and out, each engine
Times are the best of --repeat runs; everything but the N-worker batch in one process, one thread. The parsed
submissions are built after the scoring runs, so that the workers fork from a process holding about what the
CLI's holds (the policies and the lines), not three quarters of a gigabyte of parsed rows.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Catalog, evaluate, parse_submission  # noqa: E402
from engine.population import frame_of  # noqa: E402
from engine.testing import generate_submissions  # noqa: E402
from engine.versions import run_impact  # noqa: E402
from tools.batch_cmd import chunk_sizes  # noqa: E402
from tools.progress import bulk  # noqa: E402
from tools.rows import decode_line  # noqa: E402
from tools.scorer import Job, scored  # noqa: E402

A, B = "green-factory@2026.1", "green-factory-js@2026.1"


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=25_000)
    parser.add_argument("--single-rows", type=int, default=5_000, help="rows timed on the single path (it is slow)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (default: one per CPU)")
    parser.add_argument("--files", action="store_true", help="also time greenfactory batch on files, both engines")
    args = parser.parse_args()

    catalog = Catalog.from_dir(ROOT / "policies")
    a, b = catalog.get(A), catalog.get(B)
    half = args.rows // 2
    lines = [(n, orjson.dumps(raw)) for n, raw in enumerate(generate_submissions(a.policy, args.rows, 1), 1)]
    sample = lines[: args.single_rows]
    sample_raws = [orjson.loads(line) for _, line in sample]

    def run(items, workers, engine="columns"):
        with bulk():
            return b"".join(r.output for r in scored(Job(a, decode_line, "jsonl", engine), spans_of(len(items), workers),
                                                     workers, lambda span: items[span[0]:span[1]]))

    def traced():
        for raw in sample_raws:
            try:
                evaluate(a, parse_submission(a.policy, raw))
            except Exception:
                pass

    t_single, single_out = best(lambda: run(sample, 1, "single"), args.repeat)
    t_traced, _ = best(traced, args.repeat)
    t_batch, batch_out = best(lambda: run(lines, 1), args.repeat)
    t_workers, workers_out = best(lambda: run(lines, args.workers), args.repeat)
    same = batch_out.startswith(single_out) and workers_out == batch_out

    mixed = [orjson.loads(line) for _, line in lines[:half]] + generate_submissions(b.policy, args.rows - half, 2)
    t_frame, frame = best(lambda: frame_of(mixed), args.repeat)
    t_impact, report = best(lambda: run_impact(a, b, frame).to_dict(), args.repeat)
    t_whole, _ = best(lambda: run_impact(a, b, frame_of(mixed)).to_dict(), args.repeat)

    n_single, n = len(sample), len(lines)
    rate = {"single path": n_single / t_single, "single, traced": n_single / t_traced, "batch, 1 worker": n / t_batch,
            f"batch, {args.workers} workers": n / t_workers}
    print(f"{n} submissions; single path timed on {n_single}; best of {args.repeat}; Python {sys.version.split()[0]}\n")
    print(f"{'scoring under ' + A:<42} {'rows/s':>10} {'µs/row':>8} {'× single':>9}")
    for name, r in rate.items():
        print(f"  {name:<40} {r:>10,.0f} {1e6 / r:>8.1f} {r / rate['single path']:>8.1f}×")
    print(f"  same bytes from every path: {'yes' if same else 'NO'}\n")
    print(f"{'impact ' + A + ' → ' + B:<58} {'seconds':>8}")
    print(f"  ({half} submissions written for {A}, {n - half} for {B})")
    print(f"  {'frame of ' + str(n) + ' submissions (once per population)':<56} {t_frame:>8.3f}")
    print(f"  {'impact with its summary, frame built':<56} {t_impact:>8.3f}")
    print(f"  {'impact with its summary, frame included':<56} {t_whole:>8.3f}")
    print(f"  compared {report['population']['compared']}, refused {report['population']['refused']}")
    if args.files:
        files(lines, args.workers)
    return 0


def spans_of(total: int, workers: int):
    """(start, stop) of each chunk, in the sizes greenfactory batch reads."""
    start = 0
    for size in chunk_sizes(total, workers):
        if start >= total:
            return
        yield start, min(start + size, total)
        start += size


def files(lines: list, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        source.write_bytes(b"".join(line + b"\n" for _, line in lines))
        print(f"\n{'greenfactory batch, JSON lines in and out':<58} {'seconds':>8} {'rows/s':>9}")
        for engine, n in (("single", 1), ("columns", 1), ("columns", workers)):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tools.cli", "batch", "--policy", A, str(source), "-o",
                            str(Path(tmp) / f"{engine}{n}.jsonl"), "--engine", engine, "--workers", str(n), "--quiet"],
                           cwd=ROOT, stderr=subprocess.DEVNULL, check=False)
            took = time.perf_counter() - start
            print(f"  {f'--engine {engine} --workers {n}':<56} {took:>8.2f} {len(lines) / took:>9,.0f}")


if __name__ == "__main__":
    sys.exit(main())
