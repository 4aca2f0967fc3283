"""One person buying on two channels is one customer: a web shop (the generic channel,
signed webhooks) knows Camille Durand with her email, phone and address; the marketplace
(the fake Mirakl, polled) sells to "Camille Durand" behind a relay address and reveals her
address and phone only at SHIPPING. Real Odoo with 2 workers and the job runner."""

import threading
import uuid

import pytest
import requests

from ..conftest import GENERIC_SECRET
from ..fakes.mirakl import FakeMirakl
from ..support.odoo_server import query, storable_product
from ..support.odoo_server import wait_until as wait
from .test_webhook_pipeline import signed_delivery

SKU = "E2E-ID-SCARF"
STREET = "3 quai des Chartrons"


@pytest.fixture(scope="module")
def marketplace():
    with FakeMirakl(
        api_key="identity-key", currency="USD", debit_delay=None, first_order=8_300_001
    ) as fake:
        yield fake


@pytest.fixture(scope="module")
def mirakl_backend(odoo_server, marketplace):
    server = odoo_server
    server.call(
        "account.tax",
        "create",
        {
            "name": f"E2E identity VAT 20% incl. {uuid.uuid4().hex[:4]}",
            "amount": 20,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "price_include_override": "tax_included",
        },
    )
    storable_product(server, SKU, 5, name="Scarf")
    backend_id = server.call(
        "retail.backend",
        "create",
        {
            "name": f"Marketplace identity {uuid.uuid4().hex[:6]}",
            "code": "mirakl",
            "mirakl_api_url": marketplace.base_url,
            "mirakl_api_key": marketplace.api_key,
        },
    )
    server.call("retail.backend", "action_activate", [backend_id])
    return backend_id


def poll(server, backend_id):
    [(since,)] = query(server, "SELECT COALESCE(MAX(id), 0) FROM queue_job")
    server.call("retail.backend", "action_poll_now", [backend_id])
    wait(
        lambda: query(
            server,
            "SELECT 1 FROM queue_job WHERE id > %s AND method_name = '_poll' AND state = 'done'",
            (since,),
        ),
        "the poll",
        server,
    )
    wait(
        lambda: (
            not query(
                server,
                "SELECT 1 FROM queue_job WHERE id > %s "
                "AND state NOT IN ('done', 'failed', 'cancelled')",
                (since,),
            )
        ),
        "the jobs of the poll",
        server,
    )


def customers_named(server, name):
    return query(
        server,
        "SELECT id, active, email FROM res_partner WHERE name = %s AND parent_id IS NULL "
        "ORDER BY id",
        (name,),
    )


def test_a_marketplace_buyer_is_merged_into_the_web_customer_when_her_address_arrives(
    odoo_server, generic_backend, mirakl_backend, marketplace
):
    server = odoo_server
    _web_backend, url = generic_backend
    customer = {
        "external_id": f"web-{uuid.uuid4().hex[:6]}",
        "email": "Camille.Durand@Example.fr",
        "phone": "06 12 34 56 78",
        "first_name": "Camille",
        "last_name": "Durand",
        "default_address": {
            "street": STREET,
            "zip": "33000",
            "city": "Bordeaux",
            "country_code": "FR",
        },
        "updated_at": "2026-11-02T09:00:00Z",
    }
    body, headers = signed_delivery({"type": "customer.created", "data": customer})
    assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 200
    [(web_partner, _active, _email)] = wait(
        lambda: customers_named(server, "Camille Durand"), "the web customer", server
    )

    order = marketplace.add_order(
        lines=[{"offer_sku": SKU, "quantity": 1, "price_unit": 25}],
        customer={
            "firstname": "Camille",
            "lastname": "Durand",
            "billing_address": {"street_1": STREET, "zip_code": "33000", "city": "Bordeaux",
                                "phone": "+33612345678"},
            "shipping_address": {"street_1": STREET, "zip_code": "33000", "city": "Bordeaux",
                                 "phone": "+33612345678"},
        },
    )  # fmt: skip
    poll(server, mirakl_backend)  # WAITING_ACCEPTANCE: a name and a relay address only
    [(sale_partner,)] = query(
        server,
        "SELECT partner_id FROM sale_order WHERE retail_external_id = %s",
        (order["order_id"],),
    )
    assert sale_partner != web_partner, "a name and a relay address prove nothing"

    marketplace.advance(order["order_id"])
    marketplace.advance(order["order_id"])
    assert order["order_state"] == "SHIPPING"
    poll(server, mirakl_backend)  # the address and phone arrive: the same person

    [(state, partner_id, hold)] = query(
        server,
        "SELECT state, partner_id, retail_hold_reason FROM sale_order "
        "WHERE retail_external_id = %s",
        (order["order_id"],),
    )
    assert (state, partner_id) == ("sale", web_partner), hold
    people = customers_named(server, "Camille Durand")
    assert [(pid, active) for pid, active, _email in people] == [
        (web_partner, True),
        (sale_partner, False),
    ]
    assert people[0][2] == "Camille.Durand@Example.fr", "the relay address never replaces hers"
    [(auto, merge_state, dst)] = query(
        server,
        "SELECT auto, state, dst_partner_id FROM retail_identity_merge WHERE src_partner_id = %s",
        (sale_partner,),
    )
    assert (auto, merge_state, dst) == (True, "done", web_partner)
    bindings = query(
        server,
        "SELECT DISTINCT res_id FROM retail_binding WHERE res_model = 'res.partner' "
        "AND backend_id = %s",
        (mirakl_backend,),
    )
    assert bindings == [(web_partner,)], "the marketplace's customer points at her now"


def two_channels(server):
    """Two active generic channels (a web shop and a POS): their webhook URLs."""
    urls = []
    for name in ("Web", "POS"):
        backend_id = server.call(
            "retail.backend",
            "create",
            {
                "name": f"{name} {uuid.uuid4().hex[:6]}",
                "code": "generic",
                "webhook_secret": GENERIC_SECRET,
            },
        )
        server.call("retail.backend", "action_activate", [backend_id])
        [backend] = server.call("retail.backend", "read", [backend_id], ["webhook_token"])
        urls.append((backend_id, f"{server.base_url}/retail/webhook/{backend['webhook_token']}"))
    return urls


def test_the_same_new_person_sent_by_two_channels_at_once_is_one_customer(odoo_server):
    """Each channel knows her under its own id: the base's per-channel lock doesn't
    serialize them; identity resolution's lock on her email and phone does."""
    server = odoo_server
    channels = two_channels(server)
    people = [f"twin-{uuid.uuid4().hex[:8]}" for _ in range(6)]
    deliveries = []
    for index, person in enumerate(people):
        for backend_id, url in channels:
            customer = {
                "external_id": f"{backend_id}-{person}",
                "email": f"{person}@example.org",
                "phone": f"+33 6 55 {index:02d} {index:02d} {index:02d}",
                "first_name": "Alex",
                "last_name": person.capitalize(),
                "updated_at": "2026-11-02T09:00:00Z",
            }
            body, headers = signed_delivery({"type": "customer.created", "data": customer})
            deliveries.append((url, body, headers))
    threads = [
        threading.Thread(target=requests.post, args=(url,), kwargs={"data": b, "headers": h})
        for url, b, h in deliveries
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    backend_ids = tuple(backend_id for backend_id, _url in channels)
    wait(
        lambda: (
            query(
                server,
                "SELECT count(*) FROM retail_event WHERE backend_id IN %s AND state = 'done'",
                (backend_ids,),
            )
            == [(len(deliveries),)]
        ),
        "every delivery imported",
        server,
        timeout=120,
    )
    customers = query(
        server,
        "SELECT email, count(*) FROM res_partner WHERE active AND email IN %s GROUP BY email",
        (tuple(f"{person}@example.org" for person in people),),
    )
    assert sorted(count for _email, count in customers) == [1] * len(people), customers
    bindings = query(
        server,
        "SELECT count(DISTINCT res_id), count(*) FROM retail_binding "
        "WHERE res_model = 'res.partner' AND backend_id IN %s",
        (backend_ids,),
    )
    assert bindings == [(len(people), 2 * len(people))]
