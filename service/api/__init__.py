"""The HTTP API: flask-smorest blueprints under /api/v1, /healthz, and the offline API docs."""
from __future__ import annotations

from flask import Flask, send_from_directory
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path

from ..schemas import Problem
from . import evaluations, health, policies
from .problem_docs import ProblemContentType
from . import authorities, cohorts  # issue 6: factories, rounds, baselines, authorities' view
from . import comparisons  # issue 5: policy diffs, comparisons, impact
from . import documents  # issue 7: supporting documents

DOCS_ASSETS = "/api/v1/docs/assets/"
SECURITY = {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "gf_… tokens from `greenfactory token create`"}}


class GreenfactoryApi(Api):
    ERROR_SCHEMA = Problem


def api_config() -> dict:
    return {
        "API_TITLE": "Green factory evaluation",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": DOCS_ASSETS,  # served here, from the swagger-ui-bundle package: no CDN
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None, "persistAuthorization": False},
        "API_SPEC_OPTIONS": {
            "components": {"securitySchemes": SECURITY},
            "security": [{"bearerAuth": []}],
            "info": {"description": "Policy versions and evaluations of China's green factory evaluation. Every"
                                    " endpoint but /healthz and this document needs a bearer token; each lists the"
                                    " roles it admits. Errors are application/problem+json (RFC 9457) with a stable"
                                    " code and every issue found."},
        },
    }


def _docs_asset(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=3600)


def init_app(app: Flask) -> Api:
    app.config.update(api_config())
    api = GreenfactoryApi(app, spec_kwargs={"extra_plugins": [ProblemContentType()]})
    for blueprint in (policies.blp, evaluations.blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    for blueprint in (cohorts.blp, authorities.blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    api.register_blueprint(comparisons.blp, url_prefix="/api/v1")
    api.register_blueprint(documents.blp, url_prefix="/api/v1")
    api.register_blueprint(health.blp)
    app.add_url_rule(DOCS_ASSETS + "<path:filename>", endpoint="docs_assets", view_func=_docs_asset)
    return api
