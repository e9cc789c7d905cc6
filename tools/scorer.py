"""Scoring a file's rows chunk by chunk under one compiled policy, in this process or spread over worker processes.

Workers are forked, so each inherits the compiled policy instead of receiving it. What a worker is sent is a task:
either the chunk itself, undecoded (table rows as cells), or only where to find it (a range of a list already in
memory, a byte range of a JSON lines file), which the worker reads with `fetch`, inherited too: the parent then
neither copies nor pickles the input. A chunk comes back encoded for the output file (tools.results.encoded): a
parsed submission or a record costs more to send between processes than to score. Results are taken in task
order, so the output is byte for byte the one process's. At most two tasks per worker wait, so memory stays
bounded.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from typing import Callable, Iterable, Iterator

from engine import IssueList, evaluate, parse_submission
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


def scored(job: Job, tasks: Iterable, workers: int = 1, fetch: Callable | None = None) -> Iterator[Scored]:
    """Each task's chunk scored, in order; in this process when workers is 1 (or the platform cannot fork).
    A task is the chunk's (number, line or cells) items, or what fetch(task) turns into them."""
    if workers <= 1 or "fork" not in get_all_start_methods():
        yield from (job(fetch(task) if fetch else task) for task in tasks)
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_adopt,
                             initargs=(job, fetch)) as pool:
        pending: deque = deque()
        for task in tasks:
            pending.append(pool.submit(_run, task))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def spans(total: int, workers: int, least: int = 1_000, most: int = 2_500) -> Iterator[tuple[int, int]]:
    """(start, stop) of each chunk of total rows for workers processes: at most `most` rows, shrinking to `least`
    at the end so that the workers finish together. Not fewer, larger chunks: a forked worker pays a page fault
    for every page its chunk's parsed rows first touch (about 14 kB a row), which a chunk of many thousand rows
    makes cost more than the few milliseconds of NumPy setup each chunk costs whatever its size."""
    start = 0
    while start < total:
        size = min(max(-(-(total - start) // (2 * workers)), least), most)
        if total - start - size < least:  # no short chunk left over at the end
            size = total - start if total - start <= most else size
        yield start, min(start + size, total)
        start += size


_job: Job | None = None  # in a worker process: the job it was forked with
_fetch: Callable | None = None  # and how it reads a task's chunk


def _adopt(job: Job, fetch: Callable | None) -> None:
    global _job, _fetch
    _job, _fetch = job, fetch


def _run(task) -> Scored:
    return _job(_fetch(task) if _fetch else task)


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
