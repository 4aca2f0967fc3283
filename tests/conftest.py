import base64
import os
import uuid
from pathlib import Path

import pytest

import odoo.addons

from .support.odoo_server import OdooServer, clone_database, drop_database

# The addons' plain-Python parts (clients, mappers) are tested here too: make
# them, and the Odoo addons they import, importable as odoo.addons.*.
for _addons in (
    Path(__file__).resolve().parent.parent / "addons",
    *(Path(path).parent / "addons" for path in odoo.__path__),
):
    is_addons_dir = (_addons / "retail_connector_base").is_dir() or (_addons / "web").is_dir()
    if is_addons_dir and str(_addons) not in odoo.addons.__path__:
        odoo.addons.__path__.append(str(_addons))

GENERIC_SECRET = "whsec_" + base64.b64encode(b"end-to-end-secret-of-32-bytes!!!").decode()


@pytest.fixture(scope="session")
def e2e_database():
    name = f"retail_e2e_{os.getpid()}"
    clone_database(name)
    yield name
    drop_database(name)


@pytest.fixture(scope="session")
def odoo_server(e2e_database):
    with OdooServer(e2e_database, workers=2) as server:
        server.login()
        yield server


@pytest.fixture
def generic_backend(odoo_server):
    """An active generic channel; returns (id, webhook URL)."""
    backend_id = odoo_server.call(
        "retail.backend",
        "create",
        {
            "name": f"POS {uuid.uuid4().hex[:6]}",
            "code": "generic",
            "webhook_secret": GENERIC_SECRET,
            "max_attempts": 2,
        },
    )
    odoo_server.call("retail.backend", "action_activate", [backend_id])
    [backend] = odoo_server.call("retail.backend", "read", [backend_id], ["webhook_token"])
    return backend_id, f"{odoo_server.base_url}/retail/webhook/{backend['webhook_token']}"


@pytest.fixture(scope="session")
def catalog(odoo_server):
    """What the e2e orders sell: a mug, and a 20 % sales tax."""
    add_catalog(odoo_server)


def add_catalog(server):
    """A mug (SKU E2E-MUG, 10.00) and a 20 % sales tax on ``server``."""
    server.call(
        "product.product",
        "create",
        {"name": "Mug", "default_code": "E2E-MUG", "type": "consu", "list_price": 10},
    )
    server.call(
        "account.tax",
        "create",
        {"name": "E2E VAT 20%", "amount": 20, "amount_type": "percent", "type_tax_use": "sale"},
    )
