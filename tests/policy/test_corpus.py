"""The bad-policy corpus: each file under tests/policies/ breaks the mini fixture and says what must be reported.

A file's header declares `# expect: CODE @ LINE` (one or more) and, for a known bug, `# xfail: reason`
(every test of the file fails) or `# xfail-line: reason` (only the expected line is wrong).
Files under bad/ are loaded as text; files under bad-names/<id>/<version>.yaml are loaded from disk,
so that the folder and file name take part.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from engine import Issue, PolicyInvalid, load_policy_file, load_policy_text
from engine.policy import source

from tests.support import MINI, ROOT
CORPUS = ROOT / "tests" / "policies"
BAD = sorted((CORPUS / "bad").glob("*.yaml")) + sorted((CORPUS / "bad-names").glob("*/*.yaml"))
POLICIES = sorted((ROOT / "policies").glob("*/*.yaml"))
EXPECT = re.compile(rb"^# expect: ([a-z_.]+) @ (\d+)\s*$", re.M)
XFAIL = re.compile(rb"^# xfail(-line)?: (.+)$", re.M)


def name_of(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def expectations(path: Path) -> list[tuple[str, int]]:
    return [(code.decode(), int(line)) for code, line in EXPECT.findall(path.read_bytes())]


def case(path: Path, *, line_test: bool = False):
    known = XFAIL.search(path.read_bytes())
    applies = known and (line_test or not known.group(1))
    marks = [pytest.mark.xfail(strict=True, reason=known.group(2).decode())] if applies else []
    return pytest.param(path, id=name_of(path).removeprefix("tests/policies/"), marks=marks)


CASES = [case(p) for p in BAD]
LINE_CASES = [case(p, line_test=True) for p in BAD]


def refused(path: Path) -> tuple[Issue, ...]:
    """The issues a corpus file is refused with; fails the test if it loads."""
    with pytest.raises(PolicyInvalid) as caught:
        if path.parent.parent.name == "bad-names":
            load_policy_file(path, name_of(path))
        else:
            load_policy_text(path.read_bytes(), name_of(path))
    return caught.value.issues


def family(code: str) -> str:
    """policy.threshold.inverted -> policy.threshold"""
    return ".".join(code.split(".")[:2])


def test_corpus_is_large_enough_and_every_file_declares_what_it_expects():
    assert len(BAD) >= 24
    for path in BAD:
        assert expectations(path), f"{name_of(path)} has no '# expect: CODE @ LINE' header"


@pytest.mark.parametrize("path", LINE_CASES)
def test_bad_policy_reports_each_expected_issue_at_its_line(path):
    issues = refused(path)
    got = {(i.code, i.location.line) for i in issues if i.location}
    assert set(expectations(path)) <= got


@pytest.mark.parametrize("path", CASES)
def test_bad_policy_reports_nothing_from_an_unrelated_family(path):
    """A single fault may have consequences in its own family, not elsewhere (multi-fault files declare each)."""
    allowed = {family(code) for code, _ in expectations(path)}
    assert {family(i.code) for i in refused(path)} <= allowed


@pytest.mark.parametrize("path", CASES)
def test_issues_are_sorted_and_print_as_file_line_col_code_message(path):
    issues = refused(path)
    assert all(i.location is not None for i in issues)
    where = [(i.location.file, i.location.line, i.location.col) for i in issues]
    assert where == sorted(where)
    form = re.compile(rf"{re.escape(name_of(path))}:\d+:\d+: [a-z_.]+ .+")
    for issue in issues:
        assert form.fullmatch(str(issue)), str(issue)


def test_a_file_with_several_problems_reports_all_of_them_in_line_order():
    path = CORPUS / "bad" / "multiple-problems.yaml"
    expected = expectations(path)
    assert len({code for code, _ in expected}) >= 4
    issues = refused(path)
    assert [(i.code, i.location.line) for i in issues] == sorted(expected, key=lambda e: e[1])


@pytest.mark.parametrize("path", [MINI], ids=name_of)
def test_mini_fixture_loads(path):
    policy = load_policy_file(path)
    assert policy.id == "mini" and policy.version == "2025.1"


@pytest.mark.parametrize("path", POLICIES or [pytest.param(None, marks=pytest.mark.skip(reason="no policies/*/*.yaml yet"))],
                         ids=lambda p: name_of(p) if p else "none")
def test_every_published_policy_file_loads(path):
    policy = load_policy_file(path)
    assert (policy.id, policy.version) == (path.parent.name, path.stem)


def test_version_must_match_the_file_name(tmp_path):
    folder = tmp_path / "mini"
    folder.mkdir()
    (folder / "2026.1.yaml").write_bytes(MINI.read_bytes())
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_file(folder / "2026.1.yaml")
    assert [(i.code, i.location.line) for i in caught.value.issues] == [("policy.version.file_mismatch", 3)]


def oversized() -> bytes:
    """The mini fixture padded with comment lines to just over 2 MiB."""
    text = MINI.read_bytes()
    pad = b"# " + b"x" * 78 + b"\n"
    return text + pad * ((source.MAX_BYTES - len(text)) // len(pad) + 1)


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    raw = oversized()
    assert len(raw) > source.MAX_BYTES
    path = tmp_path / "mini" / "2025.1.yaml"
    path.parent.mkdir()
    path.write_bytes(raw)
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_file(path)
    assert [(i.code, i.location.line) for i in caught.value.issues] == [("policy.file.too_large", 1)]


@pytest.mark.parametrize("as_text", [False, True], ids=["bytes", "str"])
def test_oversized_text_is_refused(as_text):
    raw = oversized()
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_text(raw.decode("utf-8") if as_text else raw, "big.yaml")
    assert [(i.code, i.location.line) for i in caught.value.issues] == [("policy.file.too_large", 1)]


def test_an_alias_bomb_is_refused_without_building_a_tree(monkeypatch):
    """l9 in the bomb stands for 10**10 strings; no tree may be composed, constructed or converted."""
    def never(*args, **kwargs):
        raise AssertionError("a YAML tree was built for a file that must be refused on its event stream")

    monkeypatch.setattr(YAML, "load", never)
    monkeypatch.setattr(YAML, "compose", never)
    monkeypatch.setattr(source, "_plain", never)
    path = CORPUS / "bad" / "alias-bomb.yaml"
    assert path.read_text(encoding="utf-8").count("*l") == 90
    issues = refused(path)
    assert {i.code for i in issues} <= {"policy.yaml.alias", "policy.yaml.anchor"}
    assert sum(i.code == "policy.yaml.alias" for i in issues) == 1
