"""The policy versions on disk: policies/<id>/<version>.yaml, loaded, validated and compiled once."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..issue import EngineError, Issue, PolicyInvalid, did_you_mean
from ..scoring.compiled import CompiledPolicy
from ..scoring.compiler import compile_policy
from .ledger import ledger_issues, read_ledger
from .loader import load_policy_file
from .model import Policy

REF = re.compile(r"^(?P<id>[a-z0-9][a-z0-9-]{0,63})(@(?P<version>[0-9A-Za-z][0-9A-Za-z._-]{0,39}))?$")
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "policies"


class UnknownPolicy(EngineError, LookupError):
    """A policy reference that names no known version: UnknownPolicy(code, message)."""


def parse_ref(ref: str) -> tuple[str, str | None]:
    """Split "id@version"; refuse anything else (no paths, no traversal)."""
    match = REF.match(ref or "")
    if not match:
        raise UnknownPolicy("policy.ref.malformed", f'"{ref}" is not a policy reference: write it as id@version,'
                            ' e.g. green-factory@2025.1.')
    return match["id"], match["version"]


def version_key(version: str) -> tuple:
    """Order versions by their numeric parts: 2025.10 after 2025.9."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[._-]", version))


@dataclass
class Catalog:
    """Policies by id and version, each compiled once."""

    policies: dict[str, dict[str, CompiledPolicy]] = field(default_factory=dict)

    @classmethod
    def from_dir(cls, root: str | Path = DEFAULT_ROOT) -> "Catalog":
        """Load every policies/<id>/<version>.yaml; raise PolicyInvalid with the issues of all files."""
        catalog, issues = cls(), list[Issue]()
        ledger = read_ledger(Path(root))
        for path in sorted(Path(root).glob("*/*.yaml")):
            try:
                policy = load_policy_file(path, name=_display(path))
            except PolicyInvalid as exc:
                issues += exc.issues
                continue
            problems = ledger_issues(policy, ledger)
            if problems:
                issues += problems
            else:
                catalog.add(policy)
        if issues:
            raise PolicyInvalid(tuple(issues))
        return catalog

    def add(self, policy: Policy) -> CompiledPolicy:
        compiled = compile_policy(policy)
        self.policies.setdefault(policy.id, {})[policy.version] = compiled
        return compiled

    def get(self, ref: str) -> CompiledPolicy:
        """id@version, or a bare id for its latest published version."""
        pid, version = parse_ref(ref)
        versions = self.policies.get(pid)
        if not versions:
            raise UnknownPolicy("policy.unknown", f'No policy "{pid}".{did_you_mean(pid, self.policies)}'
                                f' Known: {", ".join(sorted(self.policies)) or "none"}.')
        if version is None:
            published = [v for v, c in versions.items() if c.policy.status == "published"] or list(versions)
            version = max(published, key=version_key)
        if version not in versions:
            raise UnknownPolicy("policy.version.unknown", f'Policy "{pid}" has no version "{version}".'
                                f' Known: {", ".join(sorted(versions, key=version_key))}.')
        return versions[version]

    def all(self) -> list[CompiledPolicy]:
        return [c for pid in sorted(self.policies) for _, c in sorted(self.policies[pid].items(),
                                                                    key=lambda kv: version_key(kv[0]))]


def _display(path: Path) -> str:
    """A short file name for issue locations: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


