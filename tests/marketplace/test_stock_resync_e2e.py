"""A full stock resync sets every offer on the fake Mirakl to Odoo's
quantity in one STO01 import (real Odoo, real job runner)."""

import uuid

import pytest

from ..fakes.mirakl import FakeMirakl
from ..support.odoo_server import storable_product
from ..support.odoo_server import wait_until as wait

OFFERS = {"MK-RS-A": 6, "MK-RS-B": 0, "MK-RS-C": 15}


@pytest.fixture(scope="module")
def marketplace():
    with FakeMirakl(api_key="resync-key") as fake:
        yield fake


@pytest.fixture(scope="module")
def backend(odoo_server, marketplace):
    backend_id = odoo_server.call(
        "retail.backend",
        "create",
        {
            "name": f"Mirakl resync (fake) {uuid.uuid4().hex[:6]}",
            "code": "mirakl",
            "mirakl_api_url": marketplace.base_url,
            "mirakl_api_key": marketplace.api_key,
            "export_stock": True,
            "stock_export_delay": 1,
        },
    )
    odoo_server.call("retail.backend", "action_activate", [backend_id])
    return backend_id


def test_a_full_resync_corrects_every_offer(odoo_server, backend, marketplace):
    server = odoo_server
    for sku, quantity in OFFERS.items():
        marketplace.add_offer(sku, quantity)
        product = storable_product(server, sku, quantity=quantity)
        # The offers the marketplace sells: bound to the backend.
        server.call(
            "retail.binding",
            "create",
            {
                "backend_id": backend,
                "res_model": "product.product",
                "res_id": product,
                "external_id": sku,
            },
        )
    wait(
        lambda: all(marketplace.offers.get(sku) == qty for sku, qty in OFFERS.items()),
        "the initial levels pushed",
        server,
    )
    for sku in OFFERS:  # edited on the marketplace, Odoo not told
        marketplace.offers[sku] = 99
    imports_before = set(marketplace.stock_imports)
    server.call("retail.backend", "action_stock_resync", [backend])
    wait(
        lambda: all(marketplace.offers.get(sku) == qty for sku, qty in OFFERS.items()),
        "every offer corrected by the resync",
        server,
        timeout=120,
    )
    # One import for the whole chunk.
    [resync_import] = [
        record
        for import_id, record in marketplace.stock_imports.items()
        if import_id not in imports_before
        and {row["offer-sku"] for row in record["rows"]} == set(OFFERS)
    ]
    assert {row["offer-sku"]: int(row["quantity"]) for row in resync_import["rows"]} == OFFERS
