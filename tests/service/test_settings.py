"""Configuration in one place: every environment variable is read by service.config.Settings, only when asked; the
command line honours the same settings as the service; the secret key is never written inside the checkout."""
from __future__ import annotations

import ast
import shutil
import stat
from pathlib import Path

from service import create_app
from service.config import Settings
from tools.cli import main

from tests.support import ROOT

SOURCES = ("engine", "service", "tools")


def test_every_variable_is_read_from_the_environment_given(tmp_path):
    env = {"GF_DATABASE_URL": "sqlite:///x.db", "GF_POLICIES": str(tmp_path), "GF_MAX_BODY_BYTES": "2048",
           "GF_MAX_DOCUMENT_BYTES": "4096", "GF_SECRET_KEY": "s" * 40, "GF_SECRET_KEY_FILE": str(tmp_path / "k"),
           "GF_FAULT": "policy.publish@2"}
    settings = Settings.from_env(env)
    assert (settings.database_url, settings.policies_dir, settings.max_body_bytes, settings.max_document_bytes,
            settings.secret_key, settings.secret_key_file, settings.fault) == (
        "sqlite:///x.db", tmp_path, 2048, 4096, "s" * 40, tmp_path / "k", "policy.publish@2")


def test_the_secret_key_file_defaults_to_the_users_state_folder(tmp_path):
    assert Settings.from_env({"XDG_STATE_HOME": str(tmp_path)}).secret_key_file == tmp_path / "greenfactory" / "secret_key"
    home = Settings.from_env({"HOME": str(tmp_path)}).secret_key_file
    assert home == tmp_path / ".local" / "state" / "greenfactory" / "secret_key"
    assert ROOT not in home.parents


def test_nothing_but_the_settings_reads_the_environment():
    readers = []
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
                    readers.append(str(path.relative_to(ROOT)))
    assert sorted(set(readers)) == ["service/config.py"]


def test_an_app_without_a_key_makes_one_in_the_settings_file_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("GF_SECRET_KEY", raising=False)
    monkeypatch.setenv("GF_SECRET_KEY_FILE", str(tmp_path / "state" / "secret_key"))
    url = f"sqlite:///{tmp_path / 'gf.db'}"
    first = create_app({"database_url": url})
    second = create_app({"database_url": url})
    key_file = tmp_path / "state" / "secret_key"
    try:
        assert first.secret_key == second.secret_key == key_file.read_text().strip()
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert not (ROOT / "var" / "secret_key").exists() or (ROOT / "var" / "secret_key").read_text().strip() \
            != first.secret_key
    finally:
        for app in (first, second):
            app.extensions["greenfactory"].db.dispose()


def test_the_command_line_reads_the_policies_folder_from_the_environment(tmp_path, monkeypatch, capsys):
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    monkeypatch.setenv("GF_POLICIES", str(root))
    assert main(["policy", "show", "green-factory@2025.1"]) == 0
    shutil.rmtree(root / "green-factory")
    capsys.readouterr()
    assert main(["policy", "show", "green-factory@2025.1"]) == 1  # the bundled folder would still have it
    assert "green-factory" in capsys.readouterr().err


def test_the_fault_point_comes_from_the_settings(tmp_path):
    app = create_app({"database_url": f"sqlite:///{tmp_path / 'gf.db'}", "fault": "nothing.real@3"})
    try:
        with app.extensions["greenfactory"].db.write() as session:
            fault = session.info["greenfactory.fault"]
        assert (fault.action, fault.at) == ("nothing.real", 3)
    finally:
        app.extensions["greenfactory"].db.dispose()
    plain = create_app({"database_url": f"sqlite:///{tmp_path / 'plain.db'}"})
    try:
        with plain.extensions["greenfactory"].db.write() as session:
            assert "greenfactory.fault" not in session.info
    finally:
        plain.extensions["greenfactory"].db.dispose()


def test_paths_in_overrides_become_paths():
    settings = Settings().updated({"policies_dir": "policies", "secret_key_file": "/tmp/k"})
    assert isinstance(settings.policies_dir, Path) and settings.secret_key_file == Path("/tmp/k")
