"""How greenfactory batch splits its input for worker processes: byte spans of a JSON lines file, chunk sizes."""
from __future__ import annotations

import random

import pytest

import tools.rows as rows
from tools.batch_cmd import chunk_sizes
from tools.rows import line_spans, lines_at, read_items
from tools.scorer import spans

LINES = [b'{"a":1}', b"", b"  ", b"x" * 30, b'{"b":"\r"}\r', b"\t", b"not json"]


@pytest.mark.parametrize("seed", range(40))
def test_the_spans_hold_every_line_once_with_its_number(tmp_path, monkeypatch, seed):
    """Whatever the block size and chunk sizes, the spans' items are read_items's: the same lines with the same
    numbers, blank ones left out, the last line with or without its newline."""
    rnd = random.Random(seed)
    path = tmp_path / "in.jsonl"
    data = b"\n".join(rnd.choice(LINES) for _ in range(rnd.randrange(0, 60))) + rnd.choice([b"", b"\n"])
    path.write_bytes(data)
    monkeypatch.setattr(rows, "SPAN_BLOCK", rnd.randrange(1, 40))
    sizes = [rnd.randrange(1, 9) for _ in range(rnd.randrange(0, 8))]

    found = list(line_spans(path, sizes))
    items = [item for span in found for item in lines_at(path, span)]

    expected = [(number, line.removesuffix(b"\n")) for number, line in list(read_items(path, "jsonl"))[1:]]
    assert items == expected
    assert sum(length for _, length, _ in found) == len(data)
    assert all(length > 0 for _, length, _ in found)


def test_a_span_holds_as_many_lines_as_asked(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(b'{"n":%d}\n' % i for i in range(10)))
    found = list(line_spans(path, [3, 3]))
    assert [number for _, _, number in found] == [1, 4, 7]
    assert [len(lines_at(path, span)) for span in found] == [3, 3, 4]


def test_chunks_shrink_to_the_end_and_cover_every_row():
    sizes = [stop - start for start, stop in spans(25_000, 2)]
    assert sum(sizes) == 25_000
    assert sizes[:-1] == sorted(sizes[:-1], reverse=True)  # shrinking; the last takes what is left
    assert sizes[0] == 2_500 and sizes[-2] == 1_000
    assert min(sizes) >= 1_000 and max(sizes) <= 2_500
    assert [stop - start for start, stop in spans(1_500, 2)] == [1_500]
    assert list(spans(0, 2)) == []


def test_one_process_reads_20000_rows_at_a_time():
    sizes = chunk_sizes(50_000, 1)
    assert [next(sizes) for _ in range(3)] == [20_000] * 3
    with_workers = chunk_sizes(10_000, 2)
    firsts = [next(with_workers) for _ in range(8)]
    assert sum(firsts[:-1]) == 10_000 and firsts[-1] == 20_000  # rows beyond the count: full chunks
