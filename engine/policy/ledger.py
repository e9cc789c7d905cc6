"""The ledger of published versions (policies/published.json): a published version never changes.

Each entry maps id@version to the digest it was published with. Comments and key order do not enter
the digest, so comments may still be improved; any change to a value needs a new version.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..issue import Issue, Location
from .model import Policy

LEDGER = "published.json"


def read_ledger(root: Path) -> dict[str, str]:
    path = Path(root) / LEDGER
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def write_ledger(root: Path, ledger: dict[str, str]) -> None:
    """Write atomically: a crash leaves the old ledger or the new one, never half of one."""
    path = Path(root) / LEDGER
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".published-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(dict(sorted(ledger.items())), out, indent=2, ensure_ascii=False)
        out.write("\n")
    os.replace(tmp, path)


def ledger_issues(policy: Policy, ledger: dict[str, str]) -> list[Issue]:
    recorded = ledger.get(policy.ref)
    where = Location(policy.file, _line_of(policy.text, "status"), 1)
    if policy.status == "published" and recorded is None:
        return [Issue("policy.published.unrecorded", f"{policy.ref} says it is published but the ledger has no record of it:"
                      f" publish it with `greenfactory policy publish {policy.ref}`.", ("status",), where)]
    if recorded is not None and policy.status != "published":
        return [Issue("policy.published.reverted", f"{policy.ref} was published and cannot go back to {policy.status}:"
                      " restore status: published, or create a new version.", ("status",), where)]
    if recorded is not None and recorded != policy.digest:
        return [Issue("policy.published.changed", f"{policy.ref} was published with digest {recorded[:19]}… and its values"
                      " have changed since: undo the change, or copy the file to a new version and change that.", (),
                      Location(policy.file, 1, 1))]
    return []


def _line_of(text: str, key: str) -> int:
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith(f"{key}:"):
            return n
    return 1
