"""The landing page: what the signed-in role can open from here."""
from __future__ import annotations

from flask import redirect, render_template, url_for

from . import blp, signin


@blp.route("/")
def home():
    if signin.current() is None:
        return redirect(url_for("pages.signin"))
    return render_template("home.html")
