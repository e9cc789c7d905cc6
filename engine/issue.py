"""Problems found in a policy or a submission, reported as values, never as tracebacks; and the engine's errors.

Every error the engine raises is an EngineError with a stable dotted code: IssueList (PolicyInvalid,
SubmissionInvalid) carries every Issue found; UnknownPolicy (engine.policy.catalog) names a reference that names
no version; BackendError (engine.backends) is a backend that cannot run. The service maps these classes to HTTP
statuses in one table (service/errors.py); the engine knows nothing of HTTP."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, slots=True, order=True)
class Location:
    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: a stable dotted code, a one-sentence message, where it is."""

    code: str
    message: str
    path: tuple[str | int, ...] = ()
    location: Location | None = None

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.file, loc.line, loc.col) if loc else ("", 0, 0), self.code, self.message

    def json_path(self) -> str:
        out = "$"
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else f".{part}"
        return out

    def __str__(self) -> str:
        where = str(self.location) if self.location else self.json_path()
        return f"{where}: {self.code} {self.message}"

    def to_dict(self) -> dict:
        out: dict = {"code": self.code, "message": self.message, "path": self.json_path()}
        if self.location:
            out.update(file=self.location.file, line=self.location.line, col=self.location.col)
        return out


class EngineError(Exception):
    """The base of every error the engine raises: a stable dotted code and one sentence saying what to do.

    Plain classes, not frozen dataclasses: Python sets __traceback__ on exceptions as they propagate.
    """

    code = "engine.error"

    def __init__(self, code: str | None = None, message: str = ""):
        super().__init__(message)
        if code:
            self.code = code
        self.message = message


class IssueList(EngineError):
    """Raised when something cannot be used; carries every issue found, sorted."""

    code = "invalid"

    def __init__(self, issues: tuple[Issue, ...] = ()):
        super().__init__(None, "; ".join(str(i) for i in issues))
        self.args = (tuple(issues),)
        self.issues = tuple(issues)

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)


class PolicyInvalid(IssueList):
    """A policy file that does not load."""

    code = "policy.invalid"


class SubmissionInvalid(IssueList):
    """A submission that cannot be evaluated."""

    code = "submission.invalid"


class BackendError(EngineError):
    """A rules backend that is not installed, cannot run a policy, or failed on a submission."""

    code = "backend.failed"


def sorted_issues(issues: Iterable[Issue]) -> tuple[Issue, ...]:
    unique = {(i.code, i.message, i.path, i.location): i for i in issues}
    return tuple(sorted(unique.values(), key=Issue.sort_key))


def did_you_mean(word: object, choices: Iterable[object]) -> str:
    """' Did you mean "x"?' when a choice is close to word, else ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f' Did you mean "{close[0]}"?' if close else ""
