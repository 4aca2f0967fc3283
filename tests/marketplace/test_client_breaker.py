"""The channels' clients call through their breaker, one per host and
endpoint family, against the fake Mirakl and the fake Shopify over HTTP: a
refused call is never sent, a 5xx or a timeout is a failure, any answer
(a refusal, a throttle) is a success."""

import pytest

from odoo.addons.retail_connector_base.api_client import Breaker, CircuitOpen
from odoo.addons.retail_connector_base.exceptions import TransientError
from odoo.addons.retail_connector_marketplace.client import MiraklClient, MiraklRequestError
from odoo.addons.retail_connector_shopify import graphql
from odoo.addons.retail_connector_shopify.client import ShopifyClient

from ..fakes.mirakl import FakeMirakl
from ..fakes.shopify import FakeShopify


class RecordingBreaker(Breaker):
    """Refuses the endpoints in ``down`` and notes what the client reports."""

    def __init__(self, down=()):
        self.down = set(down)
        self.asked, self.events = [], []

    def allow(self, endpoint, label):
        self.asked.append((endpoint, label))
        return 42.0 if endpoint in self.down else None

    def succeeded(self, endpoint):
        self.events.append(("ok", endpoint))

    def failed(self, endpoint, error):
        self.events.append(("failed", endpoint))


@pytest.fixture
def mirakl():
    with FakeMirakl(timeout_seconds=2) as fake:
        yield fake


def mirakl_client(fake, breaker):
    return MiraklClient(
        fake.base_url, fake.api_key, timeout=(1, 1), sleep=lambda _s: None, breaker=breaker
    )


def test_each_mirakl_family_has_its_own_endpoint(mirakl):
    breaker = RecordingBreaker()
    client = mirakl_client(mirakl, breaker)
    client.account()
    list(client.orders(page_size=10))
    list(client.offers(page_size=10))
    host = mirakl.base_url
    assert [endpoint for endpoint, _label in breaker.asked] == [
        f"{host}/account",
        f"{host}/orders",
        f"{host}/offers",
    ]
    assert breaker.asked[1][1] == "Mirakl orders"
    assert breaker.events == [("ok", endpoint) for endpoint, _label in breaker.asked]


def test_an_open_breaker_sends_nothing_and_says_when_to_come_back(mirakl):
    breaker = RecordingBreaker(down={f"{mirakl.base_url}/orders"})
    client = mirakl_client(mirakl, breaker)
    with pytest.raises(CircuitOpen) as caught:
        list(client.orders())
    assert caught.value.retry_after == 42.0
    assert isinstance(caught.value, TransientError)
    assert mirakl.requests_to("OR11") == []
    assert breaker.events == []
    assert client.account()["shop_id"], "another family of the same host still answers"


@pytest.mark.parametrize("fault", ["5xx", "timeout", "reset"])
def test_a_channel_down_is_a_failure_of_its_endpoint(mirakl, fault):
    breaker = RecordingBreaker()
    mirakl.fail_next(fault, status=503, seconds=2)
    with pytest.raises(TransientError):
        mirakl_client(mirakl, breaker).account()
    assert breaker.events == [("failed", f"{mirakl.base_url}/account")]


def test_a_refusal_or_a_throttle_is_an_answer(mirakl):
    breaker = RecordingBreaker()
    client = mirakl_client(mirakl, breaker)
    with pytest.raises(MiraklRequestError):
        client.ship("no-such-order")
    mirakl.fail_next("429", retry_after=0)
    client.account()
    endpoints = [f"{mirakl.base_url}/orders", f"{mirakl.base_url}/account"]
    assert breaker.events == [("ok", endpoints[0]), ("ok", endpoints[1]), ("ok", endpoints[1])]


def test_shopify_graphql_and_its_token_endpoint_fail_apart():
    with FakeShopify(restore_rate=1000, timeout_seconds=2) as shop:
        breaker = RecordingBreaker()
        client = ShopifyClient(
            shop.base_url,
            "2026-10",
            client_id=shop.client_id,
            client_secret=shop.client_secret,
            timeout=(1, 1),
            sleep=lambda _s: None,
            breaker=breaker,
        )
        client.graphql(graphql.SHOP)
        assert [endpoint for endpoint, _label in breaker.asked] == [
            f"{shop.base_url}/graphql",
            f"{shop.base_url}/token",
        ]
        shop.fail_next("html_5xx", status=502)
        with pytest.raises(TransientError):
            client.graphql(graphql.SHOP)
        assert breaker.events[-1] == ("failed", f"{shop.base_url}/graphql")
        breaker.down.add(f"{shop.base_url}/graphql")
        sent = len(shop.request_log)
        with pytest.raises(CircuitOpen):
            client.graphql(graphql.SHOP)
        assert len(shop.request_log) == sent
