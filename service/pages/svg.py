"""Charts as inline SVG, built in Python: no script, no library, nothing fetched. Every text goes through markupsafe,
and every chart carries a <title> and a <desc> with its numbers, so a screen reader hears what the picture shows.

Colours come from classes styled in static/cohort.css (svg .me, .leader, .median, .baseline, .goal).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from markupsafe import Markup

WIDTH = 600
PAD = 10  # left and right, so marks at 0 and at the top are not cut
ROW = 13  # one row of mark labels
GLYPH = 6.5  # rough width of a label character at 11px, to keep labels apart


@dataclass(frozen=True, slots=True)
class Mark:
    """A value marked on a chart: a vertical line with a label above it."""

    value: Decimal
    label: str  # translated, without the number (the chart adds it)
    kind: str  # me | leader | median | baseline | goal (a CSS class)


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of a bar chart: a value, and the baseline it is measured against."""

    label: str
    value: Decimal | None
    baseline: Decimal | None


def _num(v: Decimal) -> str:
    return format(v, "f")


def _x(value: Decimal, top: Decimal, width: int = WIDTH) -> float:
    share = min(max(value / top, Decimal(0)), Decimal(1)) if top > 0 else Decimal(0)
    return round(PAD + float(share) * (width - 2 * PAD), 1)


def _anchor(x: float, width: int) -> str:
    return "start" if x < 80 else "end" if x > width - 80 else "middle"


def _label_rows(marks: Sequence[Mark], top: Decimal, width: int) -> list[tuple[Mark, float, int]]:
    """Each mark with its x and a label row: the first row where its label overlaps no other label."""
    placed: list[tuple[Mark, float, int]] = []
    taken: list[list[tuple[float, float]]] = []  # per row, the spans its labels cover
    for m in sorted(marks, key=lambda m: m.value):
        x = _x(m.value, top, width)
        size = (len(m.label) + len(_num(m.value)) + 1) * GLYPH
        anchor = _anchor(x, width)
        start = x if anchor == "start" else x - size if anchor == "end" else x - size / 2
        span = (start - 4, start + size + 4)
        row = next((n for n, spans in enumerate(taken) if all(span[1] < a or span[0] > b for a, b in spans)), None)
        if row is None:
            taken.append([])
            row = len(taken) - 1
        taken[row].append(span)
        placed.append((m, x, row))
    return placed


def _open(ident: str, width: int, height: int, title: str, desc: str, css: str) -> Markup:
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" class="{css}" viewBox="0 0 {w} {h}" width="{w}"'
                  ' height="{h}" role="img" aria-labelledby="{i}-t {i}-d"><title id="{i}-t">{t}</title>'
                  '<desc id="{i}-d">{d}</desc>').format(css=css, w=width, h=height, i=ident, t=title, d=desc)


def distribution(ident: str, counts: Sequence[tuple[Decimal, int]], top: Decimal, marks: Sequence[Mark], title: str,
                 summary: str, *, bins: int = 20, bar_height: int = 56, width: int = WIDTH,
                 labels: bool = True) -> Markup:
    """A histogram of how many have each value on 0..top, in equal bins, with the marks drawn over it.

    ident: an id unique on the page; summary: a translated sentence on the counts (the marks' numbers are added);
    labels False draws the marks without text (a small chart whose numbers stand next to it), <desc> keeps them.
    """
    top = max([top] + [v for v, _ in counts] + [m.value for m in marks])
    placed = _label_rows(marks, top, width) if labels else [(m, _x(m.value, top, width), -1) for m in marks]
    rows = max((r for _, _, r in placed), default=-1) + 1
    head = rows * ROW + 4
    height = head + bar_height + 18
    desc = "; ".join([summary] + [f"{m.label} {_num(m.value)}" for m in marks])
    out = [_open(ident, width, height, title, desc, "chart distribution")]
    tally = [0] * bins
    for value, n in counts:
        index = min(int(value / top * bins), bins - 1) if top > 0 else 0
        tally[max(index, 0)] += n
    most = max(tally) or 1
    step = (width - 2 * PAD) / bins
    for index, n in enumerate(tally):
        if not n:
            continue
        h = max(round(bar_height * n / most, 1), 2)
        low, high = top * index / bins, top * (index + 1) / bins
        out.append(Markup('<rect class="bin" x="{x}" y="{y}" width="{w}" height="{h}"><title>{lo}–{hi}: {n}</title>'
                          '</rect>').format(x=round(PAD + index * step + 1, 1), y=round(head + bar_height - h, 1),
                                            w=round(step - 2, 1), h=h, lo=_short(low), hi=_short(high), n=n))
    axis = head + bar_height
    out.append(Markup('<line class="axis" x1="{a}" y1="{y}" x2="{b}" y2="{y}"/>').format(a=PAD, b=width - PAD, y=axis))
    for tick in (Decimal(0), top / 2, top):
        x = _x(tick, top, width)
        out.append(Markup('<text class="tick" x="{x}" y="{y}" text-anchor="{a}">{t}</text>').format(
            x=x, y=axis + 14, a=_anchor(x, width), t=_short(tick)))
    for m, x, row in placed:
        text = Markup('<text x="{x}" y="{y}" text-anchor="{a}">{label} {v}</text>').format(
            x=x, y=(row + 1) * ROW - 1, a=_anchor(x, width), label=m.label, v=_num(m.value)) if labels else ""
        out.append(Markup('<g class="mark {k}"><title>{label} {v}</title><line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}"/>'
                          '{text}</g>').format(k=m.kind, x=x, y1=(row + 1) * ROW + 2 if labels else 2, y2=axis,
                                               label=m.label, v=_num(m.value), text=text))
    out.append(Markup("</svg>"))
    return Markup("").join(out)


def bars(ident: str, rows: Sequence[Bar], top: Decimal, title: str, summary: str, *, value_label: str,
         baseline_label: str) -> Markup:
    """Horizontal bars, one per row, each with its baseline ticked across it and both numbers at its end."""
    label_width, number_width, line = 170, 150, 22
    height = line * len(rows) + 8
    span = WIDTH - label_width - number_width
    described = [f"{r.label}: {value_label} {_num(r.value) if r.value is not None else '–'}, {baseline_label} "
                 f"{_num(r.baseline) if r.baseline is not None else '–'}" for r in rows]
    out = [_open(ident, WIDTH, height, title, "; ".join([summary] + described), "chart bars")]
    for n, r in enumerate(rows):
        y = 4 + n * line
        out.append(Markup('<text class="row-label" x="0" y="{y}">{t}</text>').format(y=y + 14, t=r.label))
        if r.value is not None:
            w = round(float(min(r.value / top, Decimal(1))) * span, 1) if top > 0 else 0
            out.append(Markup('<rect class="value" x="{x}" y="{y}" width="{w}" height="14"/>').format(
                x=label_width, y=y + 3, w=w))
        if r.baseline is not None:
            bx = round(label_width + float(min(r.baseline / top, Decimal(1))) * span, 1) if top > 0 else label_width
            out.append(Markup('<line class="baseline" x1="{x}" y1="{a}" x2="{x}" y2="{b}"/>').format(
                x=bx, a=y, b=y + 20))
        out.append(Markup('<text class="row-number" x="{x}" y="{y}">{v} / {b}</text>').format(
            x=label_width + span + 8, y=y + 14, v=_num(r.value) if r.value is not None else "–",
            b=_num(r.baseline) if r.baseline is not None else "–"))
    out.append(Markup("</svg>"))
    return Markup("").join(out)


def _short(v: Decimal) -> str:
    """An axis number: whole when it is, else two places."""
    return _num(v.quantize(Decimal(1))) if v == v.to_integral_value() else _num(v.quantize(Decimal("0.01")))


__all__ = ["Bar", "Mark", "bars", "distribution"]
