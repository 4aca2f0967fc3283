"""The fake carrier speaks its small protocol: one label per idempotency key, an
outage answers 503, a request without a key is refused."""

import requests

from .carrier import FakeCarrier

SHIPMENT = {"reference": "S00001", "recipient": {"city": "Cambridge"}, "parcels": []}


def label(carrier, key="order-1", shipment=SHIPMENT):
    headers = {"Idempotency-Key": key} if key else {}
    return requests.post(f"{carrier.base_url}/labels", json=shipment, headers=headers, timeout=5)


def test_one_label_per_idempotency_key():
    with FakeCarrier() as carrier:
        first, again, other = label(carrier), label(carrier), label(carrier, "order-2")
        assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
        assert first.json()["tracking_number"] == again.json()["tracking_number"]
        assert other.json()["tracking_number"] != first.json()["tracking_number"]
        assert [key for key, _shipment in carrier.created] == ["order-1", "order-2"]


def test_outage_answers_503_and_creates_nothing_until_back():
    with FakeCarrier() as carrier:
        carrier.go_down(60, "unavailable")
        assert label(carrier).status_code == 503
        assert not carrier.created
        carrier.come_back()
        assert label(carrier).status_code == 201


def test_request_without_key_is_refused():
    with FakeCarrier() as carrier:
        assert label(carrier, key=None).status_code == 400
        assert not carrier.created


def void(carrier, number):
    return requests.post(f"{carrier.base_url}/labels/{number}/void", timeout=5)


def test_void_voids_a_known_label_once_and_refuses_an_unknown_one():
    with FakeCarrier() as carrier:
        number = label(carrier).json()["tracking_number"]
        first, again = void(carrier, number), void(carrier, number)
        assert (first.status_code, again.status_code) == (200, 200)
        assert first.json() == {"tracking_number": number, "voided": True}
        assert carrier.voided == [number]
        assert void(carrier, "FC999999").status_code == 404


def test_void_during_an_outage_answers_503_and_voids_nothing():
    with FakeCarrier() as carrier:
        number = label(carrier).json()["tracking_number"]
        carrier.go_down(60, "unavailable")
        assert void(carrier, number).status_code == 503
        assert not carrier.voided
        carrier.come_back()
        assert void(carrier, number).status_code == 200
        assert carrier.voided == [number]
