"""The OpenAPI 3.1 document of Channel API v1, generated from the pydantic
models the API reads and answers: the canonical objects of ``schemas.py``
(published in docs/schemas/) and the answers of ``channel_api.models``."""

from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cache

from pydantic.json_schema import models_json_schema

from .. import schemas
from . import models

API_PREFIX = "/retail/api/v1"
REF_TEMPLATE = "#/components/schemas/{model}"

# Deprecated parts of v1: answered with Deprecation (RFC 9745) and Sunset
# (RFC 8594) headers, and flagged in the document.
DEPRECATIONS = {
    "skus": {
        "deprecated_at": datetime(2026, 12, 1, tzinfo=UTC),
        "sunset_at": datetime(2027, 6, 30, tzinfo=UTC),
        "replacement": "sku (repeated)",
    },
}

# Every published canonical object (docs/schemas/), then the API's own.
MODELS = (
    *schemas.CANONICAL_MODELS.values(),
    models.OrderReceipt,
    models.CancelRequest,
    models.ApiCustomer,
    models.CustomerList,
    models.ShipmentList,
    models.InventoryAnswer,
    models.Problem,
)


def deprecation_headers(name):
    """The headers of an answer that used deprecated ``name``."""
    deprecation = DEPRECATIONS[name]
    return {
        "Deprecation": f"@{int(deprecation['deprecated_at'].timestamp())}",
        "Sunset": format_datetime(deprecation["sunset_at"], usegmt=True),
        "Link": f'<{API_PREFIX}/openapi.json>; rel="deprecation"; type="application/json"',
    }


def _ref(model):
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def _json(model):
    return {"application/json": {"schema": _ref(model)}}


PROBLEM = {"application/problem+json": {"schema": _ref(models.Problem)}}


def _problems(*statuses):
    descriptions = {
        400: "Bad request (missing criteria, invalid JSON, no Idempotency-Key).",
        401: "Missing, unknown, expired or revoked API key.",
        403: "The key lacks the scope, or the channel does not own a field.",
        404: "Not found for this key (whether or not it exists elsewhere).",
        405: "Method not allowed.",
        409: "Conflict with the record's state.",
        413: "Body too large.",
        415: "Not application/json.",
        422: "Validation failed: errors[] name each field by its path.",
        429: "Rate limited: see Retry-After and the RateLimit-* headers.",
    }
    return {
        str(status): {"description": descriptions[status], "content": PROBLEM}
        for status in statuses
    }


IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "One per operation (a UUID). A retry with the same key and body replays "
    "the first answer for at least 24 h; the same key with another body is refused (422).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
EXTERNAL_ID = {
    "name": "external_id",
    "in": "path",
    "required": True,
    "description": "The channel's id of the order.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^/]+$"},
}
READ_PROBLEMS = (400, 401, 403, 404, 405, 429)
WRITE_PROBLEMS = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429)


def _operation(operation_id, summary, scope, responses, problems, **extra):
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": f"Scope: `{scope}`.",
        "security": [{"bearerAuth": [scope]}],
        "responses": {**responses, **_problems(*problems)},
        **extra,
    }


def _paths():
    skus = DEPRECATIONS["skus"]
    return {
        "/orders": {
            "post": _operation(
                "submitOrder",
                "Submit a canonical order",
                "orders:write",
                {
                    "201": {
                        "description": "Imported: a new Odoo order.",
                        "content": _json(models.OrderReceipt),
                    },
                    "200": {
                        "description": "Imported: an update of a known order.",
                        "content": _json(models.OrderReceipt),
                    },
                    "202": {
                        "description": "Stored and queued for import (the backend is not active, "
                        "the import failed for now, or Prefer: respond-async): poll GET "
                        "/orders/{external_id}.",
                        "content": _json(models.OrderReceipt),
                    },
                },
                WRITE_PROBLEMS,
                parameters=[
                    IDEMPOTENCY_HEADER,
                    {
                        "name": "Prefer",
                        "in": "header",
                        "required": False,
                        "description": "respond-async: store and answer 202 at once.",
                        "schema": {"type": "string"},
                    },
                ],
                requestBody={"required": True, "content": _json(schemas.Order)},
            )
        },
        "/orders/{external_id}": {
            "get": _operation(
                "getOrder",
                "Where an order stands",
                "orders:read",
                {
                    "200": {
                        "description": "The order's receipt.",
                        "content": _json(models.OrderReceipt),
                    }
                },
                READ_PROBLEMS,
                parameters=[EXTERNAL_ID],
            )
        },
        "/orders/{external_id}/shipments": {
            "get": _operation(
                "getOrderShipments",
                "The order's shipments (carrier, tracking, lines shipped, date)",
                "orders:read",
                {"200": {"description": "Shipments.", "content": _json(models.ShipmentList)}},
                READ_PROBLEMS,
                parameters=[EXTERNAL_ID],
            )
        },
        "/orders/{external_id}/cancel": {
            "post": _operation(
                "cancelOrder",
                "Cancel an order that has not shipped",
                "orders:write",
                {"200": {"description": "Cancelled.", "content": _json(models.OrderReceipt)}},
                WRITE_PROBLEMS,
                parameters=[EXTERNAL_ID, IDEMPOTENCY_HEADER],
                requestBody={"required": True, "content": _json(models.CancelRequest)},
            )
        },
        "/customers": {
            "get": _operation(
                "findCustomers",
                "Find this channel's customers by email, phone or channel id",
                "customers:read",
                {
                    "200": {
                        "description": "Matches (at most 50).",
                        "content": _json(models.CustomerList),
                    }
                },
                READ_PROBLEMS,
                parameters=[
                    {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                    for name in ("email", "phone", "external_id")
                ],
            )
        },
        "/customers/{id}": {
            "patch": _operation(
                "updateCustomer",
                "Update an account (names, contact, address, consent) where the channel owns it",
                "customers:write",
                {
                    "200": {
                        "description": "The customer as updated.",
                        "content": _json(models.ApiCustomer),
                    }
                },
                WRITE_PROBLEMS,
                parameters=[
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    IDEMPOTENCY_HEADER,
                ],
                requestBody={"required": True, "content": _json(schemas.Customer)},
            )
        },
        "/inventory": {
            "get": _operation(
                "getInventory",
                "Available to sell per SKU and warehouse",
                "inventory:read",
                {"200": {"description": "Levels.", "content": _json(models.InventoryAnswer)}},
                READ_PROBLEMS,
                parameters=[
                    {
                        "name": "sku",
                        "in": "query",
                        "required": False,
                        "description": "Repeat for many SKUs (at most 200).",
                        "schema": {"type": "array", "items": {"type": "string"}},
                        "style": "form",
                        "explode": True,
                    },
                    {
                        "name": "skus",
                        "in": "query",
                        "required": False,
                        "deprecated": True,
                        "description": "Comma-separated SKUs. Deprecated since "
                        f"{skus['deprecated_at'].date()}, removed on {skus['sunset_at'].date()}: "
                        f"use {skus['replacement']}.",
                        "schema": {"type": "string"},
                    },
                ],
            )
        },
    }


@cache
def document():
    """The OpenAPI document (built once per process: it only changes with the code)."""
    _refs, definitions = models_json_schema(
        [(model, "validation") for model in MODELS], ref_template=REF_TEMPLATE
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Retail Connect Channel API",
            "version": "1.0.0",
            "description": "Orders, customers and stock for channels without a connector. "
            "Authenticate with 'Authorization: Bearer <key>'; every POST and PATCH takes an "
            "Idempotency-Key; errors are RFC 9457 problem details.",
        },
        "servers": [{"url": API_PREFIX}],
        "paths": _paths(),
        "components": {
            "schemas": definitions["$defs"],
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
