"""Write the JSON Schema of every canonical object to docs/schemas/ and of
every business event type to docs/events/.

Run after changing addons/retail_connector_base/schemas.py or
business_events/envelope.py (or catalogue.py):
    python tools/export_json_schemas.py
tests/test_repo_checks.py fails while the published schemas are out of date.
"""

import importlib
import importlib.util
import json
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON = ROOT / "addons" / "retail_connector_base"
SCHEMAS = ADDON / "schemas.py"
TARGET = ROOT / "docs" / "schemas"
EVENTS_TARGET = ROOT / "docs" / "events"
PACKAGE = "retail_connector_base_schemas"


def load_schemas_module():
    """schemas.py needs only pydantic: load it without Odoo."""
    spec = importlib.util.spec_from_file_location("retail_canonical_schemas", SCHEMAS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_envelope_module():
    """business_events/envelope.py and what it imports (schemas.py,
    catalogue.py), without Odoo: the addon as a bare package whose
    ``__init__`` is not run."""
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE)
        package.__path__ = [str(ADDON)]
        sys.modules[PACKAGE] = package
        events = types.ModuleType(f"{PACKAGE}.business_events")
        events.__path__ = [str(ADDON / "business_events")]
        sys.modules[events.__name__] = events
    return importlib.import_module(f"{PACKAGE}.business_events.envelope")


def _text(schema):
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def rendered():
    """``{file name: JSON text}`` of the published canonical schemas."""
    module = load_schemas_module()
    return {f"{name}.schema.json": _text(schema) for name, schema in module.json_schemas().items()}


def rendered_events():
    """``{file name: JSON text}`` of the published event schemas."""
    return {name: _text(schema) for name, schema in load_envelope_module().json_schemas().items()}


def main():
    for target, files in ((TARGET, rendered()), (EVENTS_TARGET, rendered_events())):
        target.mkdir(parents=True, exist_ok=True)
        for file_name, text in files.items():
            (target / file_name).write_text(text)
            print(f"wrote {target.relative_to(ROOT)}/{file_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
