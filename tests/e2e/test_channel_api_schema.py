"""Schemathesis against Channel API v1 on a real Odoo: every operation of the
OpenAPI document with data that fits it and data that does not; no answer
may be a 5xx or break the document (status, content type, body schema)."""

import os
import subprocess
import sys
from pathlib import Path

from .test_channel_api import new_key

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
)


def test_schemathesis_finds_no_5xx_and_no_answer_outside_the_schema(
    odoo_server, generic_backend, catalog, tmp_path
):
    backend_id, _url = generic_backend
    secret = new_key(odoo_server, backend_id, per_minute=100_000, burst=100_000)
    cli = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(cli),
            "run",
            f"{odoo_server.base_url}/retail/api/v1/openapi.json",
            "--url",
            f"{odoo_server.base_url}/retail/api/v1",
            "--header",
            f"Authorization: Bearer {secret}",
            "--mode",
            "all",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            os.environ.get("RETAIL_SCHEMATHESIS_EXAMPLES", "30"),
            "--seed",
            "14",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
