"""The app factory: settings, database (migrated to head), bundled policies, API, auth and errors."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from . import api, auth, errors, http, pages, throttle
from .config import Settings
from .db import Database, connect, upgrade
from .policy_store import PolicyStore


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    db: Database
    store: PolicyStore


def create_app(config: dict | None = None) -> Flask:
    """The service. config: lower-case keys are Settings fields (database_url, policies_dir, max_body_bytes,
    ...), upper-case keys go to Flask's config. Raises policy_store.StartupError when a bundled policy does not
    validate, db.SchemaNewer when a newer release migrated the database."""
    config = dict(config or {})
    settings = Settings.from_env().updated({k: v for k, v in config.items() if k.islower()})
    app = Flask(__name__)
    app.config.update({k: v for k, v in config.items() if k.isupper()})
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    db = connect(settings.database_url, settings.fault)
    store = PolicyStore.open(db)
    try:
        upgrade(db, then=lambda: store.load_bundled(settings.policies_dir))  # one process at a time: see db.exclusive
    except BaseException:
        db.dispose()
        raise
    app.extensions["greenfactory"] = Services(settings, db, store)

    http.init_app(app)  # request id first, so every later refusal carries it
    throttle.init_app(app, settings.auth_failures_per_minute)
    auth.init_app(app)
    http.init_body_checks(app)
    api.init_app(app)
    pages.init_app(app)  # HTML pages; their own sign-in, error pages and CSRF
    # after flask-smorest's Api, whose HTTPException handler it replaces; pages get the same problems as HTML
    errors.init_app(app, page=pages.error_page, is_page=pages.is_page_request)
    return app
