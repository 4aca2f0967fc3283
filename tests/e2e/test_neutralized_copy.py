"""A neutralized copy of a database (a staging or test copy of production) is run
with its job runner and crons: it sends its channels nothing and holds no secret."""

import os
import subprocess
import time

from ..fakes.shopify import FakeShopify
from ..shopify.test_exports import create_store, deliver, import_order_of, shopify_calls
from ..support.odoo_server import (
    OdooServer,
    clone_database,
    drop_database,
    odoo_command,
    query,
    settings,
)
from ..support.odoo_server import wait_until as wait

# Every column of retail_backend holding a credential (see the addons' neutralize.sql).
CREDENTIALS = (
    "webhook_secret",
    "webhook_previous_secret",
    "shopify_access_token",
    "shopify_client_secret",
    "shopify_previous_client_secret",
    "mirakl_api_key",
)


def test_a_neutralized_copy_sends_nothing_and_holds_no_secret():
    name = clone_database(f"retail_neutralized_{os.getpid()}")
    try:
        with FakeShopify(currency="EUR", first_order=7001) as shop:
            # "Production": a live Shopify backend and a confirmed order to deliver.
            with OdooServer(name) as server:
                server.login()
                store = create_store(server, shop)
                fake_order = shop.add_order(
                    line_items=[
                        {"sku": "LH-GT3-SALBEI", "quantity": 2, "price": "24.90"},
                        {"sku": "LH-BUCH-SAISON", "quantity": 1, "price": "29.00"},
                    ]
                )
                order = import_order_of(server, store, shop, fake_order)
            [row] = query(name, f"SELECT {', '.join(CREDENTIALS)} FROM retail_backend "
                          "WHERE id = %s", (store,))  # fmt: skip
            assert any(row), "production holds the credentials the copy must lose"

            conf = settings()
            subprocess.run(
                [*odoo_command(conf["python"]), "neutralize", "-c", conf["config"], "-d", name],
                check=True,
                capture_output=True,
                timeout=300,
            )
            shop.clear_log()
            fulfillments = len(shop.fulfillments)
            with OdooServer(name, cron_threads=1) as server:
                server.login()
                [picking] = order["picking_ids"]
                deliver(server, picking, {"LH-GT3-SALBEI": 2, "LH-BUCH-SAISON": 1}, "TRACK-COPY")
                # The delivery is owed, its job runs and keeps it: nothing leaves.
                wait(
                    lambda: query(
                        server,
                        "SELECT 1 FROM retail_outbox o JOIN queue_job j ON j.id = o.job_id "
                        "WHERE o.backend_id = %s AND o.kind = 'fulfillment' "
                        "AND o.state = 'pending' AND j.state = 'done'",
                        (store,),
                    ),
                    "the delivery's job",
                    server,
                )
                time.sleep(3)  # the crons and the runner had their turn
                assert shopify_calls(shop) == [], "a neutralized copy calls no channel"
                assert len(shop.fulfillments) == fulfillments
                rows = query(server, f"SELECT state, {', '.join(CREDENTIALS)} FROM retail_backend")
                assert rows and all(state == "paused" for state, *_secrets in rows)
                assert all(value is None for _state, *secrets in rows for value in secrets)
                assert query(server, "SELECT count(*) FROM retail_backend_runtime") == [(0,)]
    finally:
        drop_database(name)
