import json
from pathlib import Path

from odoo.tests import tagged

from .. import schemas
from .api_common import ApiCase

DOCS_SCHEMAS = Path(__file__).resolve().parents[3] / "docs" / "schemas"


def _local_refs(schema):
    """A published schema's ``#/$defs/X`` references as the OpenAPI
    document writes them, without its ``$defs``."""
    text = json.dumps({k: v for k, v in schema.items() if k != "$defs"})
    return json.loads(text.replace('"#/$defs/', '"#/components/schemas/'))


@tagged("post_install", "-at_install")
class TestApiOpenApi(ApiCase):
    def test_document_is_served_without_a_key(self):
        response = self.url_open("/retail/api/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        document = response.json()
        self.assertEqual(document["openapi"], "3.1.0")
        operations = {
            (method.upper(), path) for path, item in document["paths"].items() for method in item
        }
        self.assertEqual(
            operations,
            {
                ("POST", "/orders"),
                ("GET", "/orders/{external_id}"),
                ("GET", "/orders/{external_id}/shipments"),
                ("POST", "/orders/{external_id}/cancel"),
                ("GET", "/customers"),
                ("PATCH", "/customers/{id}"),
                ("GET", "/inventory"),
            },
        )
        skus = [
            p for p in document["paths"]["/inventory"]["get"]["parameters"] if p["name"] == "skus"
        ]
        self.assertTrue(skus[0]["deprecated"])

    def test_canonical_objects_are_the_published_json_schemas(self):
        components = self.url_open("/retail/api/v1/openapi.json").json()["components"]["schemas"]
        for name, model in schemas.CANONICAL_MODELS.items():
            published = json.loads((DOCS_SCHEMAS / f"{name}.schema.json").read_text())
            self.assertEqual(components[model.__name__], _local_refs(published), name)
            for def_name, definition in published.get("$defs", {}).items():
                self.assertEqual(components[def_name], _local_refs(definition), def_name)
