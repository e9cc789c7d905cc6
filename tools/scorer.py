"""Scoring a file's rows chunk by chunk under one compiled policy, in this process or spread over worker processes.

A chunk goes to a worker undecoded (JSON lines as bytes, table rows as cells) and comes back encoded for the output
file (tools.results.encoded): a parsed submission or a record costs more to send between processes than to score.
Workers are forked, so each inherits the compiled policy instead of receiving it; results are taken in chunk order,
so the output is byte for byte the one process's. At most two chunks per worker wait, so memory stays bounded.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from typing import Callable, Iterable, Iterator

from engine.evaluator import evaluate
from engine.intake import parse_submission
from engine.issue import IssueList
from engine.population import bind, evaluate_population, frame_of

from .results import encoded, record_of, records_of, refused


@dataclass(frozen=True, slots=True)
class Scored:
    rows: int
    refused: int
    output: bytes | str | list  # the chunk's records, encoded for the output file


@dataclass(frozen=True)
class Job:
    """What each chunk needs: the policy, how to decode a row, the output format, the engine (columns or single)."""
    cp: object
    decode: Callable
    fmt: str = "jsonl"
    engine: str = "columns"

    def __call__(self, items: list) -> Scored:
        rows = [self.decode(number, cells) for number, cells in items]
        records = list(_single(self.cp, rows) if self.engine == "single" else _columns(self.cp, rows))
        bad = sum(r["status"] != "scored" for r in records)
        return Scored(len(rows), bad, encoded(self.fmt, [cr.rule.id for cr in self.cp.rules], records))


def scored(job: Job, chunks: Iterable[list], workers: int = 1) -> Iterator[Scored]:
    """Each chunk scored, in order; in this process when workers is 1 (or the platform cannot fork)."""
    if workers <= 1 or "fork" not in get_all_start_methods():
        yield from map(job, chunks)
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_adopt, initargs=(job,)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.submit(_run, chunk))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


_job: Job | None = None  # in a worker process: the job it was forked with


def _adopt(job: Job) -> None:
    global _job
    _job = job


def _run(items: list) -> Scored:
    return _job(items)


def _columns(cp, rows: list):
    readable = [r for r in rows if not r.issues]
    pop = evaluate_population(bind(cp, frame_of([r.raw for r in readable])))
    records = records_of(pop, [r.number for r in readable])
    for row in rows:
        yield refused(row.number, row.issues) if row.issues else next(records)


def _single(cp, rows: list):
    for row in rows:
        if row.issues:
            yield refused(row.number, row.issues)
            continue
        try:
            outcome = evaluate(cp, parse_submission(cp.policy, row.raw), trace=False)
        except IssueList as exc:
            yield refused(row.number, exc.issues)
            continue
        yield record_of(row.number, row.raw, outcome, cp.policy.rounding_places)
