"""Write the JSON Schema of every canonical object to docs/schemas/.

Run after changing addons/retail_connector_base/schemas.py:
    python tools/export_json_schemas.py
tests/test_repo_checks.py fails while the published schemas are out of date.
"""

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "addons" / "retail_connector_base" / "schemas.py"
TARGET = ROOT / "docs" / "schemas"


def load_schemas_module():
    """schemas.py needs only pydantic: load it without Odoo."""
    spec = importlib.util.spec_from_file_location("retail_canonical_schemas", SCHEMAS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rendered():
    """``{file name: JSON text}`` of the published schemas."""
    module = load_schemas_module()
    return {
        f"{name}.schema.json": json.dumps(schema, indent=2, sort_keys=True) + "\n"
        for name, schema in module.json_schemas().items()
    }


def main():
    TARGET.mkdir(parents=True, exist_ok=True)
    for file_name, text in rendered().items():
        (TARGET / file_name).write_text(text)
        print(f"wrote docs/schemas/{file_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
