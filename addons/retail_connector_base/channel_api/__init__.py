"""Channel API v1: plain-Python parts (request and answer models, problem
details, the OpenAPI document, rate-limit arithmetic), without Odoo."""
