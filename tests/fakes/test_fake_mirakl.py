"""The fake Mirakl itself, exercised over HTTP with ``requests``."""

import csv
import io
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from .mirakl import DEFAULT_API_KEY, FakeMirakl

T0 = datetime(2026, 11, 2, 9, 0, 0, tzinfo=UTC)
STOCK_HEADER = '"offer-sku";"quantity";"warehouse-code";"update-delete"\n'


def frozen(moment=T0):
    return lambda: moment


@pytest.fixture
def mirakl():
    with FakeMirakl(clock=frozen(), debit_delay=None) as fake:
        yield fake
        assert not fake.server_errors, fake.server_errors


def call(fake, method, path, *, key=None, params=None, json=None, timeout=5, **kwargs):
    headers = {"Authorization": fake.api_key if key is None else key}
    if key == "":
        headers = {}
    return requests.request(
        method,
        fake.base_url + path,
        headers=headers,
        params=params,
        json=json,
        timeout=timeout,
        **kwargs,
    )


def get_orders(fake, **params):
    response = call(fake, "GET", "/api/orders", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def accept(fake, order, decisions=None):
    """OR21 with one decision per line (all accepted unless given: {line_id: bool})."""
    decisions = decisions or {line["order_line_id"]: True for line in order["order_lines"]}
    body = {"order_lines": [{"id": i, "accepted": ok} for i, ok in decisions.items()]}
    return call(fake, "PUT", f"/api/orders/{order['order_id']}/accept", json=body)


def line_ids(order):
    return [line["order_line_id"] for line in order["order_lines"]]


def two_line_order(fake, **kwargs):
    return fake.add_order(
        lines=[
            {"offer_sku": "MUG", "quantity": 2, "price_unit": 9.5},
            {"offer_sku": "TEAPOT", "quantity": 1, "price_unit": 30},
        ],
        shipping_price=4.9,
        **kwargs,
    )


def shipping_order(fake):
    order = two_line_order(fake)
    assert accept(fake, order).status_code == 204
    while fake.order(order["order_id"])["order_state"] != "SHIPPING":
        fake.advance(order["order_id"])
    return order


def error_codes(response):
    return [error["code"] for error in response.json().get("errors", [])]


def upload_stock(fake, text, *, key=None, filename="stock.csv"):
    files = {"file": (filename, text.encode(), "text/csv")}
    return call(fake, "POST", "/api/offers/stock/imports", key=key, files=files)


# -- Lifecycle -----------------------------------------------------------------------------


def test_serves_on_loopback_and_stops_cleanly():
    threads_before = threading.active_count()
    with FakeMirakl() as fake:
        assert fake.base_url.startswith("http://127.0.0.1:")
        port = fake.port
        assert call(fake, "GET", "/api/account").status_code == 200
    assert threading.active_count() == threads_before
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass


def test_stop_wakes_a_held_request():
    fake = FakeMirakl().start()
    fake.fail_next("timeout", seconds=60)
    with pytest.raises(requests.ReadTimeout):
        call(fake, "GET", "/api/account", timeout=0.2)
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2


def test_unknown_path_is_404_and_the_clock_moves(mirakl):
    response = call(mirakl, "GET", "/api/nothing")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found", "status": 404}
    assert mirakl.now == T0
    mirakl.now += timedelta(days=4)
    assert mirakl.now == T0 + timedelta(days=4)


def test_running_clock_by_default():
    fake = FakeMirakl()
    before = datetime.now(UTC)
    fake.now += timedelta(hours=1)
    assert before + timedelta(minutes=59) < fake.now < before + timedelta(minutes=61)


# -- Auth ----------------------------------------------------------------------------------


def test_account_with_the_raw_key(mirakl):
    response = call(mirakl, "GET", "/api/account")
    assert response.status_code == 200
    account = response.json()
    assert account["shop_id"] == 2001
    assert account["shop_name"] == "Retail Connect Shop"
    assert account["currency_iso_code"] == "EUR"
    [entry] = mirakl.requests_to("A01")
    assert entry.headers["authorization"] == DEFAULT_API_KEY
    assert entry.status == 200 and entry.method == "GET" and entry.path == "/api/account"


@pytest.mark.parametrize("key", ["", "wrong-key", f"Bearer {DEFAULT_API_KEY}"])
def test_missing_wrong_or_bearer_key_is_401(mirakl, key):
    for method, path in (("GET", "/api/account"), ("GET", "/api/orders")):
        response = call(mirakl, method, path, key=key)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized", "status": 401}
    assert [entry.status for entry in mirakl.request_log] == [401, 401]


def test_multi_shop_key_needs_shop_id():
    with FakeMirakl(shop_id=42) as fake:
        response = call(fake, "GET", "/api/account")
        assert response.status_code == 400
        assert "shop_id" in response.json()["message"]
        assert call(fake, "GET", "/api/account", params={"shop_id": 43}).status_code == 403
        response = call(fake, "GET", "/api/account", params={"shop_id": 42})
        assert response.status_code == 200
        assert response.json()["shop_id"] == 42
        order = fake.add_order(lines=[{"offer_sku": "MUG", "price_unit": 5}])
        path = f"/api/orders/{order['order_id']}/accept"
        body = {"order_lines": [{"id": line_ids(order)[0], "accepted": True}]}
        assert call(fake, "PUT", path, json=body).status_code == 400
        assert call(fake, "PUT", path, json=body, params={"shop_id": 42}).status_code == 204
        assert not fake.server_errors


def test_reasons(mirakl):
    response = call(mirakl, "GET", "/api/reasons", params={"type": "REFUND"})
    assert response.status_code == 200
    reasons = response.json()["reasons"]
    assert reasons and {reason["type"] for reason in reasons} == {"REFUND"}


# -- Order payload -------------------------------------------------------------------------


def test_order_payload_shape(mirakl):
    order = two_line_order(
        mirakl, customer={"civility": "MX", "shipping_address": {"city": "Lyon"}}
    )
    [seen] = get_orders(mirakl)["orders"]
    assert seen == order
    assert seen["order_state"] == "WAITING_ACCEPTANCE"
    assert seen["created_date"] == seen["last_updated_date"] == "2026-11-02T09:00:00Z"
    assert seen["acceptance_decision_date"] is None
    assert seen["order_tax_mode"] == "TAX_INCLUDED"
    assert seen["currency_iso_code"] == "EUR"
    assert seen["price"] == 49.0 and seen["shipping_price"] == 4.9
    assert seen["total_price"] == 53.9
    assert isinstance(seen["total_commission"], float)
    assert seen["shipping_deadline"].endswith("Z") and seen["leadtime_to_ship"] == 2
    assert "@relay." in seen["customer_notification_email"]
    customer = seen["customer"]
    assert customer["billing_address"] is None and customer["shipping_address"] is None
    assert customer["civility"] == "MX"  # an enum value the connector may not know
    assert {"customer_id", "firstname", "lastname", "locale"} <= set(customer)
    mug, teapot = seen["order_lines"]
    assert mug["order_line_id"] == f"{seen['order_id']}-1"
    assert mug["order_line_state"] == "WAITING_ACCEPTANCE"
    assert mug["offer_sku"] == "MUG" and mug["product_sku"]
    assert (mug["quantity"], mug["price_unit"], mug["price"]) == (2, 9.5, 19.0)
    assert mug["shipping_price"] == 4.9 and mug["total_price"] == 23.9
    assert mug["taxes"] == [{"code": "TVA", "amount": 3.17, "rate": 20}]  # 19 * 20/120
    assert teapot["shipping_price"] == 0 and teapot["total_price"] == 30.0
    assert mug["refunds"] == [] and mug["cancelations"] == []
    assert isinstance(mug["commission_fee"], float)
    assert "channel" in seen and "order_line_additional_fields" in mug  # unknown fields


def test_tax_excluded_and_extra_fields(mirakl):
    order = mirakl.add_order(
        lines=[{"offer_sku": "MUG", "quantity": 3, "price_unit": 10, "tax_rate": 8.25}],
        tax_mode="TAX_EXCLUDED",
        currency="USD",
        extra={"payment_workflow": "PAY_ON_SOMETHING_NEW", "future_field": {"x": 1}},
    )
    [seen] = get_orders(mirakl)["orders"]
    assert seen["order_tax_mode"] == "TAX_EXCLUDED"
    assert seen["currency_iso_code"] == "USD"
    assert seen["order_lines"][0]["taxes"] == [{"code": "TVA", "amount": 2.48, "rate": 8.25}]
    assert seen["payment_workflow"] == "PAY_ON_SOMETHING_NEW"
    assert seen["future_field"] == {"x": 1}
    assert mirakl.order(order["order_id"]) is order


# -- OR11: filters, pagination, the overlap delta ------------------------------------------


def test_pagination(mirakl):
    for minute in range(25):
        mirakl.now = T0 + timedelta(minutes=minute)
        mirakl.add_order(lines=[{"offer_sku": f"SKU{minute}", "price_unit": 1}])
    first = get_orders(mirakl)
    assert first["total_count"] == 25 and len(first["orders"]) == 10  # max defaults to 10
    pages = [get_orders(mirakl, max=10, offset=offset)["orders"] for offset in (0, 10, 20)]
    assert [len(page) for page in pages] == [10, 10, 5]
    seen = [order["order_id"] for page in pages for order in page]
    assert len(set(seen)) == 25
    dates = [order["last_updated_date"] for page in pages for order in page]
    assert dates == sorted(dates)
    assert get_orders(mirakl, max=100)["total_count"] == 25
    assert len(get_orders(mirakl, paginate="false")["orders"]) == 25
    assert get_orders(mirakl, offset=30)["orders"] == []
    for bad in ({"max": 101}, {"max": 0}, {"max": "ten"}, {"offset": -1}):
        response = call(mirakl, "GET", "/api/orders", params=bad)
        assert response.status_code == 400, bad
        assert response.json()["status"] == 400


def test_filters(mirakl):
    first = two_line_order(mirakl)
    mirakl.now = T0 + timedelta(hours=1)
    second = two_line_order(mirakl)
    accept(mirakl, second)
    ids = f"{first['order_id']},{second['order_id']}"
    assert get_orders(mirakl, order_ids=ids)["total_count"] == 2
    assert get_orders(mirakl, order_ids=first["order_id"])["orders"][0] == first
    answer = get_orders(mirakl, order_state_codes="WAITING_DEBIT,SHIPPING")
    assert [o["order_id"] for o in answer["orders"]] == [second["order_id"]]
    answer = get_orders(mirakl, end_update_date="2026-11-02T09:30:00Z")
    assert [o["order_id"] for o in answer["orders"]] == [first["order_id"]]
    answer = get_orders(mirakl, start_date="2026-11-02T09:30:00Z")
    assert [o["order_id"] for o in answer["orders"]] == [second["order_id"]]
    assert get_orders(mirakl, start_update_date="2026-11-02T10:00:00+00:00")["total_count"] == 1
    bad_state = call(mirakl, "GET", "/api/orders", params={"order_state_codes": "NOPE"})
    assert bad_state.status_code == 400
    bad_date = call(mirakl, "GET", "/api/orders", params={"start_update_date": "yesterday"})
    assert bad_date.status_code == 400


def test_start_update_date_overlaps_by_the_safety_delta(mirakl):
    order = two_line_order(mirakl)  # last updated at T0
    mirakl.now = T0 + timedelta(seconds=10)
    # A poll from 3 s after the update still sees it: Mirakl subtracts 5 s.
    since = (T0 + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [o["order_id"] for o in get_orders(mirakl, start_update_date=since)["orders"]] == [
        order["order_id"]
    ]
    since = (T0 + timedelta(seconds=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert get_orders(mirakl, start_update_date=since)["orders"] == []
    mirakl.update_overlap = timedelta(0)
    since = (T0 + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert get_orders(mirakl, start_update_date=since)["orders"] == []


def test_overlapping_polls_dedupe_on_id_and_last_updated_date(mirakl):
    """A poller that restarts from its last poll time sees orders again; deduping on
    (order_id, last_updated_date) keeps exactly one version of each change."""
    processed, last_poll = [], T0 - timedelta(minutes=5)

    def poll():
        nonlocal last_poll
        seen = {(o, d) for o, _s, d in processed}
        since = last_poll.strftime("%Y-%m-%dT%H:%M:%SZ")
        last_poll = mirakl.now
        for order in get_orders(mirakl, start_update_date=since, max=100)["orders"]:
            key = (order["order_id"], order["last_updated_date"])
            if key not in seen:
                processed.append((order["order_id"], order["order_state"], key[1]))
                seen.add(key)

    order = two_line_order(mirakl)
    poll()
    mirakl.now += timedelta(seconds=2)
    poll()  # sees the order again (inside the delta): not processed twice
    assert [state for _o, state, _d in processed] == ["WAITING_ACCEPTANCE"]
    assert accept(mirakl, order).status_code == 204
    poll()
    mirakl.now += timedelta(seconds=2)
    poll()
    assert [state for _o, state, _d in processed] == ["WAITING_ACCEPTANCE", "WAITING_DEBIT"]
    assert len(mirakl.requests_to("OR11")) == 4


# -- OR21: acceptance and refusals ---------------------------------------------------------


def test_accept_then_debit_then_shipping_reveals_addresses(mirakl):
    order = two_line_order(mirakl)
    mirakl.now = T0 + timedelta(hours=2)
    response = accept(mirakl, order)
    assert response.status_code == 204 and response.content == b""
    assert order["order_state"] == "WAITING_DEBIT"
    assert order["acceptance_decision_date"] == "2026-11-02T11:00:00Z"
    assert order["last_updated_date"] == "2026-11-02T11:00:00Z"
    assert {line["order_line_state"] for line in order["order_lines"]} == {"WAITING_DEBIT"}
    assert order["customer"]["shipping_address"] is None
    assert mirakl.advance(order["order_id"]) == "WAITING_DEBIT_PAYMENT"
    assert order["customer"]["billing_address"] is None
    assert order["last_updated_date"] == "2026-11-02T11:00:01Z"  # strictly later
    mirakl.now = T0 + timedelta(hours=3)
    assert mirakl.advance(order["order_id"]) == "SHIPPING"
    [seen] = get_orders(mirakl)["orders"]
    assert seen["order_state"] == "SHIPPING"
    assert seen["last_updated_date"] == "2026-11-02T12:00:00Z"
    for kind in ("billing_address", "shipping_address"):
        address = seen["customer"][kind]
        assert address["country_iso_code"] == "FRA"
        assert {"street_1", "street_2", "zip_code", "city", "phone", "company"} <= set(address)
        assert address["firstname"] == "Camille"
    assert [t[1:3] for t in mirakl.transitions] == [
        ("WAITING_ACCEPTANCE", "WAITING_DEBIT"),
        ("WAITING_DEBIT", "WAITING_DEBIT_PAYMENT"),
        ("WAITING_DEBIT_PAYMENT", "SHIPPING"),
    ]
    assert mirakl.accept_calls == [(order["order_id"], dict.fromkeys(line_ids(order), True))]


def test_debit_delay_zero_goes_straight_to_shipping():
    with FakeMirakl(clock=frozen(), debit_delay=0) as fake:
        order = two_line_order(fake)
        assert accept(fake, order).status_code == 204
        assert order["order_state"] == "SHIPPING"
        assert order["customer"]["shipping_address"]["city"] == "Paris"
        assert [t[2] for t in fake.transitions] == [
            "WAITING_DEBIT",
            "WAITING_DEBIT_PAYMENT",
            "SHIPPING",
        ]
        assert not fake.server_errors


def test_debit_delay_completes_on_a_later_request():
    with FakeMirakl(clock=frozen(), debit_delay=timedelta(minutes=10)) as fake:
        order = two_line_order(fake)
        accept(fake, order)
        fake.now += timedelta(minutes=5)
        assert get_orders(fake)["orders"][0]["order_state"] == "WAITING_DEBIT"
        fake.now += timedelta(minutes=6)
        assert get_orders(fake)["orders"][0]["order_state"] == "SHIPPING"
        assert not fake.server_errors


def test_addresses_revealed_at_acceptance_when_the_operator_does():
    with FakeMirakl(clock=frozen(), debit_delay=None, reveal_addresses_at="WAITING_DEBIT") as fake:
        order = two_line_order(fake)
        assert order["customer"]["shipping_address"] is None
        accept(fake, order)
        assert order["customer"]["shipping_address"]["zip_code"] == "75002"


def test_partial_acceptance_when_stock_is_short(mirakl):
    order = two_line_order(mirakl)
    mug, teapot = line_ids(order)
    assert accept(mirakl, order, {mug: True, teapot: False}).status_code == 204
    assert order["order_state"] == "WAITING_DEBIT"
    states = [line["order_line_state"] for line in order["order_lines"]]
    assert states == ["WAITING_DEBIT", "REFUSED"]
    assert order["price"] == 19.0 and order["total_price"] == 23.9
    mirakl.advance(order["order_id"])
    mirakl.advance(order["order_id"])
    states = [line["order_line_state"] for line in order["order_lines"]]
    assert states == ["SHIPPING", "REFUSED"]


def test_partial_acceptance_forbidden_by_the_operator():
    with FakeMirakl(clock=frozen(), operator_allows_partial_acceptance=False) as fake:
        order = two_line_order(fake)
        mug, teapot = line_ids(order)
        response = accept(fake, order, {mug: True, teapot: False})
        assert response.status_code == 400
        assert error_codes(response) == ["ORDER_PARTIAL_ACCEPTANCE_DISABLED"]
        assert response.json()["status"] == 400
        assert order["order_state"] == "WAITING_ACCEPTANCE"
        assert accept(fake, order, {mug: False, teapot: False}).status_code == 204
        assert order["order_state"] == "REFUSED"
        assert not fake.server_errors


def test_every_line_needs_a_decision(mirakl):
    order = two_line_order(mirakl)
    response = accept(mirakl, order, {line_ids(order)[0]: True})
    assert response.status_code == 400
    assert error_codes(response) == ["ORDER_LINE_ACCEPTANCE_DECISION_MISSING"]
    assert order["order_state"] == "WAITING_ACCEPTANCE"
    assert order["last_updated_date"] == "2026-11-02T09:00:00Z"


def test_refusing_every_line_refuses_the_order(mirakl):
    order = two_line_order(mirakl)
    assert accept(mirakl, order, dict.fromkeys(line_ids(order), False)).status_code == 204
    assert order["order_state"] == "REFUSED"
    assert {line["order_line_state"] for line in order["order_lines"]} == {"REFUSED"}
    assert order["customer"]["shipping_address"] is None
    assert order["acceptance_decision_date"] == "2026-11-02T09:00:00Z"


def test_acceptance_errors(mirakl):
    order = two_line_order(mirakl)
    path = f"/api/orders/{order['order_id']}/accept"
    assert call(mirakl, "PUT", "/api/orders/NOPE-1-A/accept", json={}).status_code == 404
    assert call(mirakl, "PUT", path, data=b"not json").status_code == 400
    assert call(mirakl, "PUT", path, json={"order_lines": []}).status_code == 400
    unknown = {"order_lines": [{"id": "X-1", "accepted": True}]}
    assert error_codes(call(mirakl, "PUT", path, json=unknown)) == ["ORDER_LINE_NOT_FOUND"]
    not_bool = {"order_lines": [{"id": i, "accepted": "yes"} for i in line_ids(order)]}
    assert call(mirakl, "PUT", path, json=not_bool).status_code == 400
    assert order["order_state"] == "WAITING_ACCEPTANCE"
    assert accept(mirakl, order).status_code == 204
    again = accept(mirakl, order)
    assert again.status_code == 400
    assert error_codes(again) == ["ORDER_NOT_WAITING_ACCEPTANCE"]


def test_deadline_auto_refuses(mirakl):
    late, decided = two_line_order(mirakl), two_line_order(mirakl)
    accept(mirakl, decided)
    mirakl.now += timedelta(days=2, hours=23)
    assert mirakl.expire_deadlines() == []
    mirakl.now += timedelta(hours=2)
    assert mirakl.expire_deadlines() == [late["order_id"]]
    assert late["order_state"] == "REFUSED"
    assert {line["order_line_state"] for line in late["order_lines"]} == {"REFUSED"}
    assert late["acceptance_decision_date"] is None
    assert late["last_updated_date"] == "2026-11-05T10:00:00Z"
    assert decided["order_state"] == "WAITING_DEBIT"
    assert accept(mirakl, late).status_code == 400


def test_deadline_applies_lazily_on_the_next_request(mirakl):
    order = two_line_order(mirakl)
    mirakl.now += timedelta(days=4)
    since = (mirakl.now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    [seen] = get_orders(mirakl, start_update_date=since)["orders"]
    assert seen["order_id"] == order["order_id"] and seen["order_state"] == "REFUSED"
    response = accept(mirakl, order)
    assert error_codes(response) == ["ORDER_NOT_WAITING_ACCEPTANCE"]


def test_auto_accepting_operator_and_staging():
    with FakeMirakl(clock=frozen(), auto_accept=True, debit_delay=0) as fake:
        order = two_line_order(fake)
        assert order["order_state"] == "SHIPPING"
        staged = two_line_order(fake, state="STAGING")
        assert staged["order_state"] == "STAGING"
        assert get_orders(fake, order_state_codes="STAGING")["total_count"] == 1
        fake.advance(staged["order_id"])  # fraud check passed: the operator releases it
        assert staged["order_state"] == "SHIPPING"


# -- OR23 / OR24: tracking and shipping ----------------------------------------------------


def test_tracking_then_ship_after_a_delivery(mirakl):
    order = two_line_order(mirakl)
    tracking = f"/api/orders/{order['order_id']}/tracking"
    ship = f"/api/orders/{order['order_id']}/ship"
    body = {"carrier_code": "UPS", "tracking_number": "1Z999"}
    response = call(mirakl, "PUT", tracking, json=body)
    assert response.status_code == 400 and error_codes(response) == ["ORDER_NOT_SHIPPING"]
    assert call(mirakl, "PUT", ship).status_code == 400
    shipping_order(mirakl)  # (another order)
    accept(mirakl, order)
    mirakl.advance(order["order_id"])
    mirakl.advance(order["order_id"])
    response = call(mirakl, "PUT", ship)
    assert error_codes(response) == ["TRACKING_INFORMATION_MISSING"]
    assert error_codes(call(mirakl, "PUT", tracking, json={})) == ["CARRIER_REQUIRED"]
    unknown = {"carrier_code": "PIGEON", "tracking_number": "1"}
    assert error_codes(call(mirakl, "PUT", tracking, json=unknown)) == ["CARRIER_UNKNOWN"]
    no_number = {"carrier_code": "UPS"}
    assert error_codes(call(mirakl, "PUT", tracking, json=no_number)) == [
        "TRACKING_NUMBER_REQUIRED"
    ]
    before = order["last_updated_date"]
    assert call(mirakl, "PUT", tracking, json=body).status_code == 204
    assert order["shipping_tracking"] == "1Z999" and order["shipping_carrier_code"] == "UPS"
    assert "1Z999" in order["shipping_tracking_url"]
    assert order["last_updated_date"] > before
    assert order["order_state"] == "SHIPPING"
    assert call(mirakl, "PUT", ship).status_code == 204
    assert order["order_state"] == "SHIPPED"
    assert {line["order_line_state"] for line in order["order_lines"]} == {"SHIPPED"}
    assert call(mirakl, "PUT", ship).status_code == 400
    assert call(mirakl, "PUT", tracking, json=body).status_code == 400
    assert mirakl.advance(order["order_id"]) == "RECEIVED"
    assert mirakl.advance(order["order_id"]) == "CLOSED"
    with pytest.raises(ValueError):
        mirakl.advance(order["order_id"])


def test_tracking_with_an_unlisted_carrier(mirakl):
    order = shipping_order(mirakl)
    body = {
        "carrier_name": "Coursier Local",
        "carrier_url": "https://coursier.example/t/ABC",
        "tracking_number": "ABC",
    }
    response = call(mirakl, "PUT", f"/api/orders/{order['order_id']}/tracking", json=body)
    assert response.status_code == 204
    assert order["shipping_company"] == "Coursier Local"
    assert order["shipping_carrier_code"] is None
    assert order["shipping_tracking_url"] == "https://coursier.example/t/ABC"


def test_outage_during_shipping_recovers(mirakl):
    order = shipping_order(mirakl)
    body = {"carrier_code": "COLISSIMO", "tracking_number": "6A123"}
    tracking = f"/api/orders/{order['order_id']}/tracking"
    ship = f"/api/orders/{order['order_id']}/ship"
    mirakl.fail_next("5xx", times=2, status=503, api="OR24")
    assert call(mirakl, "PUT", tracking, json=body).status_code == 204  # not faulted
    assert get_orders(mirakl)["total_count"] == 1  # nor this
    assert call(mirakl, "PUT", ship).status_code == 503
    assert order["order_state"] == "SHIPPING"  # a faulted call changes nothing
    assert call(mirakl, "PUT", ship).status_code == 503
    assert call(mirakl, "PUT", ship).status_code == 204
    assert order["order_state"] == "SHIPPED"
    assert [entry.status for entry in mirakl.requests_to("OR24")] == [503, 503, 204]
    assert [entry.fault for entry in mirakl.requests_to("OR24")] == ["5xx", "5xx", None]
    assert mirakl.requests_to("OR23")[0].json() == body


# -- OR29 / OR28: cancel and refund --------------------------------------------------------


def test_seller_cancel_after_acceptance(mirakl):
    order = two_line_order(mirakl)
    accept(mirakl, order, dict(zip(line_ids(order), (True, False), strict=True)))
    response = call(mirakl, "PUT", f"/api/orders/{order['order_id']}/cancel")
    assert response.status_code == 204
    assert order["order_state"] == "CANCELED"
    mug, teapot = order["order_lines"]
    assert mug["order_line_state"] == "CANCELED" and teapot["order_line_state"] == "REFUSED"
    [cancelation] = mug["cancelations"]
    assert cancelation["amount"] == 19.0 and cancelation["quantity"] == 2
    assert cancelation["shipping_amount"] == 4.9
    assert teapot["cancelations"] == []
    again = call(mirakl, "PUT", f"/api/orders/{order['order_id']}/cancel")
    assert error_codes(again) == ["ORDER_NOT_CANCELABLE"]


def test_cancel_refused_after_shipment_and_operator_cancel(mirakl):
    shipped = shipping_order(mirakl)
    path = f"/api/orders/{shipped['order_id']}"
    call(mirakl, "PUT", f"{path}/tracking", json={"carrier_name": "X", "tracking_number": "1"})
    call(mirakl, "PUT", f"{path}/ship")
    assert call(mirakl, "PUT", f"{path}/cancel").status_code == 400
    with pytest.raises(ValueError):
        mirakl.operator_cancel(shipped["order_id"])
    order = shipping_order(mirakl)
    mirakl.now += timedelta(minutes=1)
    mirakl.operator_cancel(order["order_id"])
    assert order["order_state"] == "CANCELED"
    assert order["last_updated_date"] == "2026-11-02T09:01:00Z"
    assert order["order_lines"][0]["cancelations"][0]["reason_code"] == "OPERATOR_CANCEL"
    since = "2026-11-02T09:00:30Z"
    [seen] = get_orders(mirakl, start_update_date=since)["orders"]
    assert seen["order_id"] == order["order_id"] and seen["order_state"] == "CANCELED"


def test_refunds(mirakl):
    order = shipping_order(mirakl)
    mug, teapot = line_ids(order)
    mirakl.now += timedelta(minutes=1)
    body = {
        "refunds": [
            {"order_line_id": mug, "amount": 9.5, "shipping_amount": 0, "quantity": 1,
             "reason_code": "34"},
            {"order_line_id": teapot, "amount": 30, "shipping_amount": 0, "quantity": 1,
             "reason_code": "35"},
        ]
    }  # fmt: skip
    response = call(mirakl, "PUT", "/api/orders/refund", json=body)
    assert response.status_code == 200
    answer = response.json()["refunds"]
    assert [item["order_line_id"] for item in answer] == [mug, teapot]
    assert all(isinstance(item["refund_id"], int) for item in answer)
    line_mug, line_teapot = order["order_lines"]
    assert line_mug["order_line_state"] == "SHIPPING"  # half refunded
    assert line_teapot["order_line_state"] == "REFUNDED"
    [refund] = line_mug["refunds"]
    assert refund["amount"] == 9.5 and refund["reason_code"] == "34"
    assert refund["id"] == answer[0]["refund_id"]
    assert order["last_updated_date"] == "2026-11-02T09:01:00Z"
    assert order["order_state"] == "SHIPPING"
    refund_id = mirakl.operator_refund(mug, shipping_amount=4.9)
    assert line_mug["order_line_state"] == "REFUNDED"
    assert line_mug["refunds"][-1]["id"] == refund_id
    assert line_mug["refunds"][-1]["amount"] == 9.5 and line_mug["refunds"][-1]["quantity"] == 1


def test_refund_refusals_apply_nothing(mirakl):
    waiting = two_line_order(mirakl)
    order = shipping_order(mirakl)
    mug, _teapot = line_ids(order)

    def refund(*items):
        return call(mirakl, "PUT", "/api/orders/refund", json={"refunds": list(items)})

    ok = {"order_line_id": mug, "amount": 5, "quantity": 1, "reason_code": "34"}
    too_much = {"order_line_id": mug, "amount": 15, "quantity": 1, "reason_code": "34"}
    response = refund(ok, too_much)
    assert error_codes(response) == ["REFUND_AMOUNT_EXCEEDED"]
    assert order["order_lines"][0]["refunds"] == []
    assert error_codes(refund({**ok, "reason_code": "nope"})) == ["REASON_CODE_INVALID"]
    assert error_codes(refund({**ok, "order_line_id": "X-1"})) == ["ORDER_LINE_NOT_FOUND"]
    not_yet = {**ok, "order_line_id": line_ids(waiting)[0]}
    assert error_codes(refund(not_yet)) == ["ORDER_LINE_NOT_REFUNDABLE"]
    assert refund({**ok, "quantity": 3}).status_code == 400
    assert call(mirakl, "PUT", "/api/orders/refund", json={}).status_code == 400
    assert all(not line["refunds"] for line in order["order_lines"])


# -- Limits and faults ---------------------------------------------------------------------


def test_or11_rate_limit_answers_429_with_retry_after():
    with FakeMirakl(clock=frozen(), rate_limit=60) as fake:
        assert call(fake, "GET", "/api/orders").status_code == 200
        fake.now += timedelta(seconds=20)
        response = call(fake, "GET", "/api/orders")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "40"
        assert response.json()["status"] == 429
        assert call(fake, "GET", "/api/account").status_code == 200  # other calls pass
        fake.now += timedelta(seconds=40)
        assert call(fake, "GET", "/api/orders").status_code == 200
        assert [entry.throttled for entry in fake.requests_to("OR11")] == [False, True, False]
        assert not fake.server_errors


def test_5xx_faults_then_recovery(mirakl):
    mirakl.fail_next("5xx", times=2)
    for _ in range(2):
        response = call(mirakl, "GET", "/api/account")
        assert response.status_code == 502
        assert response.headers["Content-Type"].startswith("text/html")
    mirakl.fail_next("5xx", status=500)
    response = call(mirakl, "GET", "/api/account")
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error", "status": 500}
    assert call(mirakl, "GET", "/api/account").status_code == 200
    assert [entry.fault for entry in mirakl.request_log] == ["5xx", "5xx", "5xx", None]
    assert not mirakl.server_errors  # injected faults are not bugs


def test_429_fault(mirakl):
    mirakl.fail_next("429", retry_after=7)
    response = call(mirakl, "GET", "/api/orders")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert mirakl.request_log[0].throttled
    assert call(mirakl, "GET", "/api/orders").status_code == 200


def test_timeout_then_recovery(mirakl):
    mirakl.fail_next("timeout", seconds=2)
    with pytest.raises(requests.ReadTimeout):
        call(mirakl, "GET", "/api/orders", timeout=0.3)
    assert call(mirakl, "GET", "/api/orders").status_code == 200
    assert mirakl.request_log[0].fault == "timeout"
    assert mirakl.request_log[0].status is None


def test_connection_reset(mirakl):
    order = two_line_order(mirakl)
    mirakl.fail_next("reset", api="OR21")
    with pytest.raises(requests.ConnectionError):
        accept(mirakl, order)
    assert order["order_state"] == "WAITING_ACCEPTANCE"
    assert accept(mirakl, order).status_code == 204
    assert mirakl.request_log[0].status is None


def test_unknown_fault_kind_is_refused(mirakl):
    with pytest.raises(ValueError, match="unknown fault"):
        mirakl.fail_next("meteor")


def test_a_bug_in_the_fake_answers_500_and_is_kept():
    with FakeMirakl() as fake:
        fake.orders = None  # break it
        response = call(fake, "GET", "/api/orders")
        assert response.status_code == 500
        assert len(fake.server_errors) == 1 and "Traceback" in fake.server_errors[0]


# -- STO01-03: stock imports ---------------------------------------------------------------


def test_stock_import_csv(mirakl):
    text = STOCK_HEADER + '"MUG";"12";"";"update"\n"TEAPOT";"0";"";""\n"LAMP";"5";"WH-2";\n'
    response = upload_stock(mirakl, text)
    assert response.status_code == 201
    import_id = response.json()["import_id"]
    assert mirakl.stock == {"MUG": 12, "TEAPOT": 0, "LAMP": 5}
    assert mirakl.warehouse_stock[("LAMP", "WH-2")] == 5
    entry = mirakl.requests_to("STO01")[0]
    assert entry.headers["content-type"].startswith("multipart/form-data")
    status = call(mirakl, "GET", f"/api/offers/stock/imports/{import_id}").json()
    assert status["import_status"] == "COMPLETE"
    assert (status["lines_read"], status["lines_in_success"], status["lines_in_error"]) == (3, 3, 0)
    assert status["has_error_report"] is False
    response = upload_stock(mirakl, STOCK_HEADER + '"MUG";"";"";"delete"\n')
    assert response.status_code == 201
    assert "MUG" not in mirakl.stock


def test_stock_import_errors_and_report(mirakl):
    mirakl.add_offer("MUG")
    mirakl.add_offer("TEAPOT", 3)
    text = (
        STOCK_HEADER
        + '"MUG";"7";"";"update"\n"GHOST";"1";"";""\n"TEAPOT";"-2";"";""\n"TEAPOT";"x";"";""\n'
        + '"TEAPOT";"1";"";"upsert"\n\n'
    )
    import_id = upload_stock(mirakl, text).json()["import_id"]
    assert mirakl.offers == {"MUG": 7, "TEAPOT": 3}
    status = call(mirakl, "GET", f"/api/offers/stock/imports/{import_id}").json()
    assert (status["lines_in_success"], status["lines_in_error"]) == (1, 4)
    report = call(mirakl, "GET", f"/api/offers/stock/imports/{import_id}/error_report")
    assert report.status_code == 200
    rows = list(csv.reader(io.StringIO(report.text), delimiter=";"))
    assert rows[0][-2:] == ["error-line", "error-message"]
    assert [row[0] for row in rows[1:]] == ["GHOST", "TEAPOT", "TEAPOT", "TEAPOT"]
    assert [row[-2] for row in rows[1:]] == ["3", "4", "5", "6"]
    assert call(mirakl, "GET", "/api/offers/stock/imports/999").status_code == 404


def test_stock_import_bad_requests(mirakl):
    assert upload_stock(mirakl, '"sku";"qty"\n"MUG";"1"\n').status_code == 400
    no_file = call(mirakl, "POST", "/api/offers/stock/imports", files={"other": ("a", b"x")})
    assert no_file.status_code == 400
    as_json = call(mirakl, "POST", "/api/offers/stock/imports", json={"file": "x"})
    assert as_json.status_code == 400
    assert upload_stock(mirakl, STOCK_HEADER, key="Bearer x").status_code == 401
    assert mirakl.stock_imports == {}


def test_stock_import_rate_limit():
    with FakeMirakl(clock=frozen(), stock_rate_limit=60) as fake:
        assert upload_stock(fake, STOCK_HEADER + '"MUG";"1";"";""\n').status_code == 201
        response = upload_stock(fake, STOCK_HEADER + '"MUG";"2";"";""\n')
        assert response.status_code == 429 and response.headers["Retry-After"] == "60"
        assert fake.stock == {"MUG": 1}
        assert call(fake, "GET", "/api/orders").status_code == 200  # OR11 not limited
        assert call(fake, "GET", "/api/orders").status_code == 200
        fake.now += timedelta(minutes=1)
        assert upload_stock(fake, STOCK_HEADER + '"MUG";"2";"";""\n').status_code == 201
        assert fake.stock == {"MUG": 2}
        assert not fake.server_errors


def test_sort_by_creation_date_and_descending():
    with FakeMirakl(clock=frozen(), sort_by="created_date", debit_delay=None) as fake:
        first = two_line_order(fake)
        fake.now += timedelta(minutes=1)
        second = two_line_order(fake)
        fake.now += timedelta(minutes=1)
        accept(fake, first)  # updated last, created first
        ids = [o["order_id"] for o in get_orders(fake)["orders"]]
        assert ids == [first["order_id"], second["order_id"]]
        ids = [o["order_id"] for o in get_orders(fake, order="desc")["orders"]]
        assert ids == [second["order_id"], first["order_id"]]
        fake.sort_by = "last_updated_date"
        ids = [o["order_id"] for o in get_orders(fake)["orders"]]
        assert ids == [second["order_id"], first["order_id"]]
        assert not fake.server_errors


def test_line_cancellations(mirakl):
    order = shipping_order(mirakl)
    mug, teapot = line_ids(order)
    total = order["total_price"]
    mirakl.now += timedelta(minutes=1)

    def cancel(*entries):
        return call(mirakl, "PUT", "/api/orders/cancel", json={"cancelations": list(entries)})

    one_mug = {"order_line_id": mug, "quantity": 1, "amount": 9.5, "reason_code": "40"}
    refused = [
        (dict(one_mug, reason_code="34"), "REASON_CODE_INVALID"),  # a refund reason
        (dict(one_mug, quantity=3), "CANCELATION_AMOUNT_EXCEEDED"),
        (dict(one_mug, order_line_id="nope-1"), "ORDER_LINE_NOT_FOUND"),
    ]
    for entry, code in refused:
        response = cancel(one_mug, entry)
        assert response.status_code == 400 and error_codes(response) == [code], entry
    assert order["order_lines"][0]["cancelations"] == [], "a refused call applies nothing"

    response = cancel(one_mug)
    assert response.status_code == 200
    [answer] = response.json()["cancelations"]
    line_mug, line_teapot = order["order_lines"]
    assert line_mug["order_line_state"] == "SHIPPING", "one of two mugs left"
    assert line_mug["cancelations"][0]["id"] == answer["id"]
    assert order["total_price"] == total - 9.5
    assert order["last_updated_date"] == "2026-11-02T09:01:00Z"

    teapot_whole = {"order_line_id": teapot, "quantity": 1, "amount": 30, "reason_code": "41"}
    assert cancel(teapot_whole).status_code == 200
    assert line_teapot["order_line_state"] == "CANCELED" and order["order_state"] == "SHIPPING"
    mirakl.operator_cancel_line(mug)
    assert line_mug["order_line_state"] == "CANCELED" and order["order_state"] == "CANCELED"
    again = cancel(one_mug)
    assert error_codes(again) == ["ORDER_LINE_NOT_CANCELABLE"]
