"""The HTTP API: flask-smorest blueprints under /api/v1, /healthz, and the offline API docs."""
from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request, send_from_directory
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path

from ..http import PAGE_CSP, protect_html
from ..schemas import Problem
from . import evaluations, health, policies
from .contract_docs import ContractDetails
from .problem_docs import ProblemContentType
from . import authorities, cohorts  # issue 6: factories, rounds, baselines, authorities' view
from . import comparisons  # issue 5: policy diffs, comparisons, impact
from . import documents  # issue 7: supporting documents
from ..json_schemas import components

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


DOCS_ENDPOINTS = frozenset({"api-docs.openapi_swagger_ui", "docs_assets"})
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def _protect_docs(response: Response) -> Response:
    """The pages' headers on the API docs. flask-smorest's Swagger UI page starts the UI with one inline script:
    the policy admits exactly that script, by its hash, and no other."""
    if request.endpoint not in DOCS_ENDPOINTS:
        return response
    csp = PAGE_CSP
    if response.mimetype == "text/html":
        hashes = [base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
                  for script in _INLINE_SCRIPT.findall(response.get_data(as_text=True))]
        csp += "; script-src 'self'" + "".join(f" 'sha256-{h}'" for h in hashes)
    return protect_html(response, csp)


def init_app(app: Flask) -> Api:
    app.config.update(api_config())
    api = GreenfactoryApi(app, spec_kwargs={"extra_plugins": [ProblemContentType(), ContractDetails()]})
    for name, schema in components().items():  # the submission and outcome, as schemas/ publishes them
        api.spec.components.schema(name, schema)
    for blueprint in (policies.blp, evaluations.blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    for blueprint in (cohorts.blp, authorities.blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    api.register_blueprint(comparisons.blp, url_prefix="/api/v1")
    api.register_blueprint(documents.blp, url_prefix="/api/v1")
    api.register_blueprint(health.blp)
    app.add_url_rule(DOCS_ASSETS + "<path:filename>", endpoint="docs_assets", view_func=_docs_asset)
    app.after_request(_protect_docs)
    return api
