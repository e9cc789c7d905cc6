"""The greenfactory command line, as policy staff and reviewers use it."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from ruamel.yaml import YAML

from engine.policy import set_scalar
from tools.cli import main

from tests.support import EXAMPLES, MINI, ROOT

ISSUE_LINE = re.compile(r"^\S+:\d+:\d+: [a-z_.]+ .+$")


@pytest.fixture
def policies(tmp_path):
    """A copy of the bundled policies, ledger and cases that a test may change."""
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    return root


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_accepts_the_bundled_policies(capsys):
    code, _, err = run(capsys, "policy", "validate", ROOT / "policies")
    assert code == 0
    assert "green-factory@2025.1" in err


def test_validate_prints_one_issue_per_line_and_exits_1(capsys, tmp_path):
    bad = tmp_path / "mini" / "2025.1.yaml"
    bad.parent.mkdir()
    text = set_scalar(MINI.read_text(encoding="utf-8"), ("scoring", "total_points"), 21)
    bad.write_text(text.replace("pillar: energy\n", "pilar: energy\n", 1), encoding="utf-8")
    code, out, _ = run(capsys, "policy", "validate", bad)
    assert code == 1
    lines = out.splitlines()
    assert lines and all(ISSUE_LINE.match(line) for line in lines)
    codes = {line.split(" ")[1] for line in lines}
    assert {"policy.schema.unknown_key", "policy.points.total"} <= codes


def test_validate_json_lists_issues_with_positions(capsys, tmp_path):
    bad = tmp_path / "mini" / "2025.2.yaml"
    bad.parent.mkdir()
    shutil.copy(MINI, bad)
    code, out, _ = run(capsys, "policy", "validate", "--json", bad)
    assert code == 1
    [result] = json.loads(out)
    assert result["valid"] is False
    assert result["issues"][0]["code"] == "policy.version.file_mismatch"
    assert result["issues"][0]["line"] == 3


def test_show_lists_pillars_rules_sectors_and_digest(capsys, general):
    code, out, _ = run(capsys, "policy", "show", "green-factory@2025.1")
    assert code == 0
    assert general.policy.digest in out
    assert "energy_low_carbon" in out and "pollutant_margin.wastewater" in out and "cement" in out


def test_show_unknown_version_is_a_message_not_a_traceback(capsys):
    code, _, err = run(capsys, "policy", "show", "green-factory@1999.9")
    assert code == 1
    assert "policy.version.unknown" in err


@pytest.mark.slow
def test_publish_records_the_digest_and_refuses_later_changes(capsys, policies):
    draft = policies / "green-factory" / "2027.1.yaml"
    text = (policies / "green-factory" / "2025.1.yaml").read_text(encoding="utf-8")
    text = set_scalar(set_scalar(text, ("version",), "2027.1"), ("status",), "draft")
    draft.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "--policies", policies, "policy", "publish", "green-factory@2027.1")
    assert code == 0 and "published green-factory@2027.1" in out
    ledger = json.loads((policies / "published.json").read_text(encoding="utf-8"))
    assert "green-factory@2027.1" in ledger
    # a comment may still change; a value may not
    draft.write_text(draft.read_text(encoding="utf-8") + "# a later note\n", encoding="utf-8")
    assert run(capsys, "policy", "validate", draft)[0] == 0
    draft.write_text(set_scalar(draft.read_text(encoding="utf-8"), ("scoring", "total_points"), 100.0), encoding="utf-8")
    assert run(capsys, "policy", "validate", draft)[0] == 0  # 100.0 is the same number: same digest
    changed = set_scalar(draft.read_text(encoding="utf-8"), ("rounding", "places"), 3)
    draft.write_text(changed, encoding="utf-8")
    code, out, _ = run(capsys, "policy", "validate", draft)
    assert code == 1 and "policy.published.changed" in out


def test_published_without_a_ledger_entry_is_refused(capsys, policies):
    ledger = json.loads((policies / "published.json").read_text(encoding="utf-8"))
    del ledger["green-factory-js@2025.1"]
    (policies / "published.json").write_text(json.dumps(ledger), encoding="utf-8")
    code, out, _ = run(capsys, "policy", "validate", policies / "green-factory-js" / "2025.1.yaml")
    assert code == 1 and "policy.published.unrecorded" in out


def test_policy_test_runs_the_golden_cases(capsys):
    code, out, _ = run(capsys, "policy", "test", "green-factory@2025.1")
    assert code == 0
    assert re.search(r"^PASS green-factory@2025\.1 ", out, re.M)
    coverage = re.search(r"^coverage green-factory@2025\.1: rules (\d+)/(\d+) \(([\d.]+) %\)", out, re.M)
    assert coverage and int(coverage[1]) <= int(coverage[2])
    assert re.search(r"^\d+ passed, 0 failed$", out, re.M)


def test_policy_test_exits_1_on_a_failing_case(capsys, policies):
    case = policies / "green-factory" / "cases" / "worked-example-cement-clinker.yaml"
    yaml = YAML()
    doc = yaml.load(case.read_text(encoding="utf-8"))
    doc["expect"]["points"]["energy_intensity"] = "4.01"
    with case.open("w", encoding="utf-8") as out:
        yaml.dump(doc, out)
    code, out, _ = run(capsys, "--policies", policies, "policy", "test", "green-factory@2025.1")
    assert code == 1
    assert f"FAIL green-factory@2025.1 {case.stem}" in out
    assert "energy_intensity: expected 4.01 points, got 4.00" in out


def test_policy_test_reports_a_broken_case_file_as_a_failure(capsys, policies):
    broken = policies / "green-factory" / "cases" / "zz-broken.yaml"
    broken.write_text("name: x\nexpect: {total: 1\n", encoding="utf-8")
    code, out, _ = run(capsys, "--policies", policies, "policy", "test", "green-factory@2025.1")
    assert code == 1
    assert "FAIL green-factory@2025.1 zz-broken" in out and "policy.yaml.syntax" in out


def test_evaluate_prints_the_trace_as_a_table(capsys):
    code, out, _ = run(capsys, "evaluate", "--policy", "green-factory@2025.1", EXAMPLES / "cement-plant.json")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("energy_intensity "))
    assert "4.00/8" in row and "baseline 107" in row and "2025.1.yaml:" in row


def test_evaluate_json_carries_outcome_and_trace(capsys, general):
    code, out, _ = run(capsys, "evaluate", "--json", "--policy", "green-factory@2025.1", EXAMPLES / "cement-plant.json")
    assert code == 0
    doc = json.loads(out)
    assert doc["policy"] == "green-factory@2025.1" and doc["policy_digest"] == general.policy.digest
    assert len([s for s in doc["trace"] if s["kind"] == "indicator"]) == len(general.policy.rules)


def test_evaluate_rejects_a_bad_submission_with_json_paths(capsys, tmp_path):
    raw = json.loads((EXAMPLES / "cement-plant.json").read_text(encoding="utf-8"))
    raw["energy_use_tce"] = -5
    raw["enterprise"]["sector"] = "cemnet"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    code, _, err = run(capsys, "evaluate", "--policy", "green-factory@2025.1", path)
    assert code == 1
    assert "$.energy_use_tce: submission.schema.minimum" in err
    assert "$.enterprise.sector: submission.sector.unknown" in err


def test_evaluate_reports_broken_json_with_its_position(capsys, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"period": "2025",\n  "enterprise": }', encoding="utf-8")
    code, _, err = run(capsys, "evaluate", "--policy", "green-factory@2025.1", path)
    assert code == 1
    assert f"{path}:2:17: submission.json.syntax" in err


def test_console_script_never_shows_a_traceback(tmp_path):
    script = ROOT / ".venv" / "bin" / "greenfactory"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "tools.cli"]
    result = subprocess.run(command + ["evaluate", "--policy", "green-factory@2025.1", str(tmp_path / "missing.json")],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "submission.file.unreadable" in result.stderr
