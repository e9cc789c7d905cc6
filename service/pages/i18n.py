"""Pages in Chinese and English: the language comes from ?lang=, then the signed cookie, then Accept-Language.

Templates write both texts where they are used, `tr("评价", "Evaluation")`, so a page reads as one file and no
catalogue drifts from its templates.
"""
from __future__ import annotations

from flask import g, request, session

LANGUAGES = ("zh", "en")


def choose_language() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    kept = session.get("lang")
    if kept in LANGUAGES:
        return kept
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"])
    return "en" if best == "en" else "zh"


def lang() -> str:
    if "lang" not in g:
        g.lang = choose_language()
    return g.lang


def tr(zh: str, en: str) -> str:
    """The text in the page's language."""
    return zh if lang() == "zh" else en
