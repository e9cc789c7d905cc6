"""Editing one value of a policy's YAML keeps every other byte; the digest follows values, not layout."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine import load_policy_text
from engine.policy import set_scalar

from tests.support import MINI

CLINKER = ("indicators", 0, "metrics", 0, "thresholds", 0)


def mini_text() -> str:
    return MINI.read_text(encoding="utf-8")


def changed_lines(before: str, after: str) -> list[int]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [n + 1 for n, (a, b) in enumerate(zip(old, new)) if a != b]


def test_setting_the_clinker_leading_value_changes_that_line_only():
    before = mini_text()
    after = set_scalar(before, CLINKER + ("leading",), Decimal("98.5"))
    assert changed_lines(before, after) == [49]
    old, new = before.splitlines(), after.splitlines()
    for n, line in enumerate(old):
        if line.lstrip().startswith("#"):
            assert line in new
        elif "#" in line:  # a trailing comment, as on the edited line, stays on its line
            assert new[n].endswith(line[line.index("#"):])
    original, edited = load_policy_text(before, "mini.yaml"), load_policy_text(after, "mini.yaml")
    row = edited.indicators[0].rules[0].metrics[0].thresholds[0]
    assert (row.product, row.leading, row.baseline) == ("clinker", Decimal("98.5"), Decimal("107"))
    assert edited.digest != original.digest


def test_a_quoted_string_stays_quoted_when_it_must():
    after = set_scalar(mini_text(), ("version",), "2025.2")
    assert 'version: "2025.2"' in after.splitlines()
    assert load_policy_text(after, "mini.yaml").version == "2025.2"


def test_a_plain_string_is_written_plain():
    after = set_scalar(mini_text(), ("title", "en"), "Mini policy")
    assert "title: {zh: 测试政策, en: Mini policy}" in after.splitlines()


def test_comments_and_key_order_do_not_change_the_digest():
    before = mini_text()
    lines = before.splitlines(keepends=True)
    assert lines[48].lstrip().startswith("leading:") and lines[49].lstrip().startswith("baseline:")
    lines[0] = "# Reworded header comment.\n"
    lines[48], lines[49] = lines[49], lines[48].replace("# GB 16780-2021 level 1", "# level 1, checked again")
    lines.insert(10, "# a new comment line\n")
    after = "".join(lines)
    assert after != before
    assert load_policy_text(after, "mini.yaml").digest == load_policy_text(before, "mini.yaml").digest


@pytest.mark.parametrize("path", [
    ("nope",),
    CLINKER + ("lead",),
    ("indicators", 7),
    ("indicators", "0"),
    ("version", "x"),
], ids=["unknown key", "misspelt key", "index out of range", "key on a list", "below a scalar"])
def test_a_missing_path_is_a_value_error(path):
    with pytest.raises(ValueError):
        set_scalar(mini_text(), path, 1)


@pytest.mark.parametrize("path", [CLINKER, ("sectors", 0, "codes"), ()], ids=["mapping", "list", "document"])
def test_a_non_scalar_target_is_a_value_error(path):
    with pytest.raises(ValueError):
        set_scalar(mini_text(), path, 1)
