"""The Shopify API client against the fake Shopify, over real HTTP."""

import time

import pytest

from odoo.addons.retail_connector_base.exceptions import PermanentError, TransientError
from odoo.addons.retail_connector_shopify import graphql
from odoo.addons.retail_connector_shopify.client import (
    MemoryTokenStore,
    ShopifyClient,
    ShopifyUserError,
)

from ..fakes.shopify import FakeShopify


@pytest.fixture
def shop():
    with FakeShopify(restore_rate=1000, timeout_seconds=3) as fake:
        yield fake


def client_for(shop, **kwargs):
    options = {"access_token": shop.access_token, "timeout": (1, 1), "sleep": _no_sleep}
    options.update(kwargs)
    return ShopifyClient(shop.base_url, "2026-10", **options)


def _no_sleep(_seconds):
    pass


def test_shop_query_with_a_pasted_token(shop):
    data = client_for(shop).graphql(graphql.SHOP)
    assert data["shop"]["name"] == "Retail Connect Test"
    [request] = shop.graphql_requests("RetailShop")
    assert request.headers["x-shopify-access-token"] == shop.access_token
    assert request.api_version == "2026-10"


def test_client_credentials_token_is_granted_then_reused(shop):
    store = MemoryTokenStore()
    client = client_for(
        shop,
        access_token=None,
        client_id=shop.client_id,
        client_secret=shop.client_secret,
        token_store=store,
    )
    client.graphql(graphql.SHOP)
    client.graphql(graphql.SHOP)
    assert len(shop.tokens) == 1
    assert store.token and store.expires_at > 0


def test_expired_token_is_refreshed_mid_sync_without_losing_the_call(shop):
    for number in range(30):
        shop.add_webhook_subscription(
            f"ORDERS_{'CREATE' if number % 2 else 'UPDATED'}", f"https://example.com/hook/{number}"
        )
    store = MemoryTokenStore()
    client = client_for(
        shop,
        access_token=None,
        client_id=shop.client_id,
        client_secret=shop.client_secret,
        token_store=store,
    )
    pages = client.paginate(graphql.WEBHOOK_SUBSCRIPTIONS, {}, "webhookSubscriptions", 10)
    first = [next(pages) for _i in range(10)]
    shop.expire_tokens()  # Shopify says 401 to the next page
    rest = list(pages)
    assert len(first) + len(rest) == 30
    assert len(shop.tokens) == 2
    assert [r.status for r in shop.graphql_requests("RetailWebhookSubscriptions")].count(401) == 1


def test_wrong_client_secret_is_a_clear_permanent_error(shop):
    client = client_for(shop, access_token=None, client_id=shop.client_id, client_secret="nope")
    with pytest.raises(PermanentError, match="refused the client ID and secret"):
        client.graphql(graphql.SHOP)


def test_throttled_answers_wait_for_the_bucket_and_complete(shop):
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        time.sleep(seconds)

    client = client_for(shop, sleep=sleep)
    shop.costs["RetailShop"] = 300  # 0.3 s of restore at 1000 points/s
    shop.bucket.set_available(0)
    data = client.graphql(graphql.SHOP)
    assert data["shop"]["name"]
    assert sleeps, "the client waited for the bucket to refill"
    statuses = [r.throttled for r in shop.graphql_requests("RetailShop")]
    assert statuses[-1] is False


def test_throttling_as_http_429_with_retry_after(shop):
    sleeps = []
    shop.fail_next("throttled", status=429, retry_after=2)
    data = client_for(shop, sleep=sleeps.append).graphql(graphql.SHOP)
    assert data["shop"]
    assert 2.0 in sleeps


def test_paced_to_the_restore_rate_from_the_cost_extensions(shop):
    sleeps = []
    client = client_for(shop, sleep=sleeps.append)
    client.graphql(graphql.SHOP)
    assert client.bucket.maximum == 1000
    assert client.bucket.restore_rate == 1000
    client.bucket.available = 0
    client.bucket.seen_at = client.clock()
    client.graphql(graphql.SHOP)
    assert sleeps and 0 < sleeps[0] <= 0.05


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("html_5xx", r"unavailable.*HTTP 502"),
        ("json_503", r"unavailable.*HTTP 503"),
        ("reset", "unreachable"),
        ("timeout", r"unreachable.*Timeout"),
    ],
)
def test_transient_fault_is_one_transient_error_then_the_job_retry_succeeds(shop, fault, words):
    # The client sends once: the retry is the job's (queue_job's backoff), not a loop here.
    sleeps = []
    client = client_for(shop, sleep=sleeps.append)
    shop.fail_next(fault, times=1, seconds=2)
    with pytest.raises(TransientError, match=words) as caught:
        client.graphql(graphql.SHOP)
    assert not isinstance(caught.value, PermanentError)
    assert caught.value.retry_after is None, "the job's retry pattern decides when"
    assert len(shop.graphql_requests("RetailShop")) == 1
    assert sleeps == []
    # The job's retry: the next call goes through.
    data = client.graphql(graphql.SHOP)
    assert data["shop"]["name"] == "Retail Connect Test"


def test_lasting_outage_is_a_transient_error_naming_the_answer(shop):
    shop.fail_next("html_5xx", times=10)
    sleeps = []
    client = client_for(shop, max_attempts=3, sleep=sleeps.append)
    with pytest.raises(TransientError, match=r"Shopify is unavailable: .*HTTP 502: .*Bad Gateway"):
        client.graphql(graphql.SHOP)
    assert len(shop.graphql_requests("RetailShop")) == 1
    assert sleeps == []


def test_throttling_that_lasts_gives_up_after_max_attempts(shop):
    sleeps = []
    shop.fail_next("throttled", times=10, status=429, retry_after=2)
    with pytest.raises(TransientError, match=r"after 3 attempts \(HTTP 429") as caught:
        client_for(shop, max_attempts=3, sleep=sleeps.append).graphql(graphql.SHOP)
    assert caught.value.retry_after == 2.0
    assert sleeps == [2.0, 2.0]
    assert len(shop.graphql_requests("RetailShop")) == 3


def test_a_long_retry_after_is_handed_to_the_job(shop):
    sleeps = []
    shop.fail_next("throttled", status=429, retry_after=120)
    with pytest.raises(TransientError, match="retry in 120 s") as caught:
        client_for(shop, sleep=sleeps.append).graphql(graphql.SHOP)
    assert caught.value.retry_after == 120.0
    assert sleeps == []


def test_unreachable_token_endpoint_is_transient():
    with FakeShopify() as fake:
        url = fake.base_url  # closed again: nothing listens there
    client = ShopifyClient(
        url, "2026-10", client_id="id", client_secret="secret", timeout=(0.5, 0.5)
    )
    with pytest.raises(TransientError, match="token endpoint is unreachable"):
        client.graphql(graphql.SHOP)


def test_bulk_file_is_read_and_an_expired_one_is_permanent(shop):
    client = client_for(shop)
    assert client.download_jsonl(None) == []
    shop.bulk_files["7"] = b'{"id": 1}\n\n{"id": 2}\n'
    assert client.download_jsonl(f"{shop.base_url}/bulk/7.jsonl") == [{"id": 1}, {"id": 2}]
    with pytest.raises(PermanentError, match="expires after a week"):
        client.download_jsonl(f"{shop.base_url}/bulk/8.jsonl")


def test_bad_pasted_token_is_permanent(shop):
    with pytest.raises(PermanentError, match="rejected the access token"):
        client_for(shop, access_token="shpat_wrong").graphql(graphql.SHOP)


def test_user_errors_are_raised_with_their_fields(shop):
    client = client_for(shop)
    variables = {
        "topic": "CUSTOMERS_REDACT",
        "webhookSubscription": {"uri": "https://example.com/hook", "format": "JSON"},
    }
    with pytest.raises(ShopifyUserError, match="webhookSubscriptionCreate"):
        client.mutate(graphql.WEBHOOK_SUBSCRIPTION_CREATE, variables, "webhookSubscriptionCreate")


def test_graphql_errors_are_permanent(shop):
    with pytest.raises(PermanentError, match="GraphQL error"):
        client_for(shop).graphql("query RetailNoSuchOperation { shop { id } }")
