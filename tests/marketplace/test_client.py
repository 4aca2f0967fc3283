"""The Mirakl client over real HTTP, against a tiny scripted server.

Each test scripts the answers of a local ``http.server`` (one function per
request, in order; the last one repeats) and reads what the client sent.
"""

import email
import email.policy
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from odoo.addons.retail_connector_base.exceptions import PermanentError, TransientError
from odoo.addons.retail_connector_marketplace.client import (
    MiraklClient,
    MiraklOutcomeUnknown,
    MiraklRequestError,
)

API_KEY = "5f2b8c1e-0d4a-4b7e-9a61-3c2f0e9d8b7a"


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: object = None  # dict/list -> JSON; str/bytes as they are
    headers: dict = None
    delay: float = 0.0
    drop: bool = False  # close the connection without answering


class StubMirakl:
    """A local HTTP server answering from a script."""

    def __init__(self):
        self.seen = []
        self.script = []
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                seen = Seen(
                    self.command,
                    url.path,
                    {k: v[0] for k, v in parse_qs(url.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with stub.lock:
                    stub.seen.append(seen)
                    answer = stub.script.pop(0) if len(stub.script) > 1 else stub.script[0]
                if callable(answer):
                    answer = answer(seen)
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                payload = answer.body
                content_type = "application/json"
                if isinstance(payload, (dict, list)):
                    payload = json.dumps(payload).encode()
                elif isinstance(payload, str):
                    payload, content_type = payload.encode(), "text/html"
                payload = payload or b""
                self.send_response(answer.status)
                for name, value in (answer.headers or {}).items():
                    self.send_header(name, str(value))
                if payload:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, *answers):
        self.script = list(answers)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirakl():
    with StubMirakl() as stub:
        stub.answer(Answer(200, {"shop_id": 2001, "shop_name": "Retail Connect Test"}))
        yield stub


@pytest.fixture
def sleeps():
    return []


def client_for(stub, sleeps=None, **kwargs):
    options = {
        "shop_id": 2001,
        "timeout": (1, 1),
        "sleep": sleeps.append if sleeps is not None else (lambda _s: None),
    }
    options.update(kwargs)
    return MiraklClient(stub.url, API_KEY, **options)


# ------------------------------------------------------------------ auth


def test_raw_api_key_and_shop_id_on_every_call(mirakl):
    answer = client_for(mirakl).account()
    assert answer["shop_name"] == "Retail Connect Test"
    [seen] = mirakl.seen
    assert (seen.method, seen.path) == ("GET", "/api/account")
    assert seen.headers["authorization"] == API_KEY  # no "Bearer"
    assert seen.query == {"shop_id": "2001"}


def test_no_shop_id_for_a_single_shop_key(mirakl):
    client_for(mirakl, shop_id=None).account()
    assert "shop_id" not in mirakl.seen[0].query


def test_api_url_with_api_suffix(mirakl):
    MiraklClient(mirakl.url + "/api/", API_KEY).account()
    assert mirakl.seen[0].path == "/api/account"


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_is_permanent_and_says_so(mirakl, status):
    mirakl.answer(Answer(status, {"status": status, "message": "Unauthorized"}))
    with pytest.raises(PermanentError, match="rejected the API key") as caught:
        client_for(mirakl).account()
    assert "shop ID" in str(caught.value)
    assert API_KEY not in str(caught.value)
    assert len(mirakl.seen) == 1


def test_missing_key_is_refused_before_any_call():
    with pytest.raises(PermanentError, match="API key is missing"):
        MiraklClient("https://acme.mirakl.net", "")


# ------------------------------------------------------------------ OR11


def _orders_pages(total):
    orders = [
        {"order_id": f"O-{n}-A", "last_updated_date": "2026-11-02T09:15:00Z"} for n in range(total)
    ]

    def answer(seen):
        offset, size = int(seen.query["offset"]), int(seen.query["max"])
        return Answer(200, {"orders": orders[offset : offset + size], "total_count": total})

    return answer


def test_orders_are_read_page_by_page(mirakl):
    mirakl.answer(_orders_pages(250))
    client = client_for(mirakl)
    orders = list(
        client.orders(
            start_update_date=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
            order_states=["WAITING_ACCEPTANCE", "SHIPPING"],
        )
    )
    assert [o["order_id"] for o in orders] == [f"O-{n}-A" for n in range(250)]
    assert [s.query["offset"] for s in mirakl.seen] == ["0", "100", "200"]
    first = mirakl.seen[0]
    assert first.path == "/api/orders"
    assert first.query["max"] == "100"
    assert first.query["start_update_date"] == "2026-11-02T09:00:00Z"
    assert first.query["order_state_codes"] == "WAITING_ACCEPTANCE,SHIPPING"
    assert first.query["shop_id"] == "2001"


def test_orders_by_id_and_an_empty_answer(mirakl):
    mirakl.answer(Answer(200, {"orders": [], "total_count": 0}))
    assert list(client_for(mirakl).orders(order_ids=["A-1", "B-2"], page_size=10)) == []
    [seen] = mirakl.seen
    assert seen.query["order_ids"] == "A-1,B-2"
    assert seen.query["max"] == "10"


def test_orders_page_size_is_at_most_100(mirakl):
    with pytest.raises(ValueError, match="page_size"):
        next(client_for(mirakl).orders(page_size=101))


def test_orders_refuse_naive_dates(mirakl):
    with pytest.raises(ValueError, match="aware"):
        next(client_for(mirakl).orders(start_update_date=datetime(2026, 11, 2)))


# ------------------------------------------------------------------ retries


def test_429_waits_retry_after_then_succeeds(mirakl, sleeps):
    mirakl.answer(
        Answer(429, {"message": "Too many requests"}, headers={"Retry-After": "2"}),
        Answer(200, {"orders": [], "total_count": 0}),
    )
    client = client_for(mirakl, sleeps)
    assert list(client.orders()) == []
    assert sleeps == [2.0]
    assert client.last_retry_after == 2.0
    assert client.last_retry_after_at is not None
    assert len(mirakl.seen) == 2


def test_429_longer_than_the_caller_may_wait_is_handed_back(mirakl, sleeps):
    mirakl.answer(Answer(429, {"message": "Too many requests"}, headers={"Retry-After": "60"}))
    client = client_for(mirakl, sleeps)
    with pytest.raises(TransientError, match="retry in 60 s") as caught:
        list(client.orders())
    assert caught.value.retry_after == 60.0
    assert client.last_retry_after == 60.0
    assert sleeps == []
    assert len(mirakl.seen) == 1


def test_429_that_lasts_gives_up_after_max_attempts(mirakl, sleeps):
    mirakl.answer(Answer(429, {"message": "Too many requests"}, headers={"Retry-After": "1"}))
    with pytest.raises(
        TransientError, match=r"after 3 attempts \(HTTP 429, Retry-After 1 s"
    ) as caught:
        client_for(mirakl, sleeps, max_attempts=3).account()
    assert caught.value.retry_after == 1.0
    assert sleeps == [1.0, 1.0]
    assert len(mirakl.seen) == 3


# A failure is one TransientError: the job that made the call is retried by
# queue_job (its backoff); the client does not loop on it.


def test_5xx_is_one_transient_error_and_the_job_retry_succeeds(mirakl, sleeps):
    mirakl.answer(
        Answer(502, "<html>Bad gateway</html>"),
        Answer(500, {"message": "Internal error"}),
        Answer(200, {"shop_id": 2001}),
    )
    client = client_for(mirakl, sleeps)
    with pytest.raises(TransientError, match=r"unavailable.*502.*Bad gateway") as caught:
        client.account()
    assert caught.value.retry_after is None, "the job's retry pattern decides when"
    assert len(mirakl.seen) == 1
    with pytest.raises(TransientError, match=r"500.*Internal error"):
        client.account()  # the job's first retry
    assert client.account() == {"shop_id": 2001}  # its second
    assert len(mirakl.seen) == 3
    assert sleeps == [], "no backoff inside the client"


def test_dropped_connection_and_timeout_are_transient_and_the_job_retry_succeeds(mirakl, sleeps):
    mirakl.answer(Answer(drop=True), Answer(delay=0.5), Answer(200, {"shop_id": 2001}))
    client = client_for(mirakl, sleeps, timeout=(1, 0.2))
    with pytest.raises(TransientError, match=r"unreachable.*ConnectionError"):
        client.account()
    with pytest.raises(TransientError, match=r"unreachable.*Timeout"):
        client.account()
    assert client.account() == {"shop_id": 2001}
    assert len(mirakl.seen) == 3
    assert sleeps == []


def test_lasting_outage_is_transient(mirakl, sleeps):
    mirakl.answer(Answer(503, "<html>Maintenance</html>"))
    with pytest.raises(TransientError, match=r"503.*Maintenance"):
        client_for(mirakl, sleeps, max_attempts=3).account()
    assert len(mirakl.seen) == 1
    assert sleeps == []


def test_unreachable_operator_is_transient(sleeps):
    with StubMirakl() as stub:
        url = stub.url
    client = MiraklClient(url, API_KEY, max_attempts=2, timeout=(0.5, 0.5), sleep=sleeps.append)
    with pytest.raises(TransientError, match="Mirakl is unreachable: GET /api/account"):
        client.account()
    assert sleeps == []


# ------------------------------------------------------------------ errors


def test_400_is_permanent_with_mirakl_message(mirakl):
    mirakl.answer(Answer(400, {"status": 400, "message": "ORDER_LINE_ACCEPTANCE_DECISION_MISSING"}))
    with pytest.raises(MiraklRequestError) as caught:
        client_for(mirakl).accept("O-1-A", {"O-1-A-1": True})
    error = caught.value
    assert isinstance(error, PermanentError)
    assert error.status == 400
    assert error.message == "ORDER_LINE_ACCEPTANCE_DECISION_MISSING"
    assert "PUT /api/orders/O-1-A/accept (400)" in str(error)
    assert len(mirakl.seen) == 1


def test_4xx_with_a_body_that_is_not_json(mirakl):
    mirakl.answer(Answer(404, "<html><body>Not Found</body></html>"))
    with pytest.raises(MiraklRequestError, match=r"404.*Not Found"):
        client_for(mirakl).ship("nope")


def test_2xx_with_a_body_that_is_not_json_is_transient(mirakl, sleeps):
    mirakl.answer(Answer(200, "<html>Login</html>"))
    with pytest.raises(TransientError, match="not JSON"):
        client_for(mirakl, sleeps).account()


# ------------------------------------------------------------------ order calls


def test_accept_sends_a_decision_per_line(mirakl):
    mirakl.answer(Answer(204))
    result = client_for(mirakl).accept(
        "O-1-A", {"O-1-A-1": True, "O-1-A-2": False}, line_ids=["O-1-A-1", "O-1-A-2"]
    )
    assert result is None
    [seen] = mirakl.seen
    assert (seen.method, seen.path) == ("PUT", "/api/orders/O-1-A/accept")
    assert seen.json() == {
        "order_lines": [{"id": "O-1-A-1", "accepted": True}, {"id": "O-1-A-2", "accepted": False}]
    }


def test_accept_refuses_a_forgotten_line_before_calling(mirakl):
    with pytest.raises(PermanentError, match=r"no decision for line.*O-1-A-2"):
        client_for(mirakl).accept("O-1-A", {"O-1-A-1": True}, line_ids=["O-1-A-1", "O-1-A-2"])
    with pytest.raises(PermanentError, match="True or False"):
        client_for(mirakl).accept("O-1-A", {"O-1-A-1": "yes"})
    assert mirakl.seen == []


def test_tracking_then_ship(mirakl):
    mirakl.answer(Answer(204))
    client = client_for(mirakl)
    client.tracking("O-1-A", carrier_code="UPS", tracking_number="1Z999")
    client.tracking(
        "O-1-A", carrier_name="Petit Transport", carrier_url="https://pt.example/{trackingId}"
    )
    client.ship("O-1-A")
    client.cancel("O-2-A")
    assert [(s.method, s.path) for s in mirakl.seen] == [
        ("PUT", "/api/orders/O-1-A/tracking"),
        ("PUT", "/api/orders/O-1-A/tracking"),
        ("PUT", "/api/orders/O-1-A/ship"),
        ("PUT", "/api/orders/O-2-A/cancel"),
    ]
    assert mirakl.seen[0].json() == {"carrier_code": "UPS", "tracking_number": "1Z999"}
    assert mirakl.seen[1].json() == {
        "carrier_name": "Petit Transport",
        "carrier_url": "https://pt.example/{trackingId}",
    }
    with pytest.raises(PermanentError, match="carrier_code"):
        client.tracking("O-1-A", tracking_number="1Z999")


def test_refund_sends_numbers(mirakl):
    mirakl.answer(Answer(200, {"refunds": [{"order_line_id": "O-1-A-1", "refund_id": 4711}]}))
    answer = client_for(mirakl).refund(
        [
            {
                "order_line_id": "O-1-A-1",
                "amount": Decimal("12.50"),
                "shipping_amount": Decimal(0),
                "quantity": 1,
                "reason_code": "DAMAGED",
                "taxes": [{"amount": Decimal("2.08"), "code": "TVA_FR_20"}],
            }
        ]
    )
    assert answer["refunds"][0]["refund_id"] == 4711
    [seen] = mirakl.seen
    assert (seen.method, seen.path) == ("PUT", "/api/orders/refund")
    refund = seen.json()["refunds"][0]
    assert refund["amount"] == 12.5 and refund["shipping_amount"] == 0
    assert refund["taxes"] == [{"amount": 2.08, "code": "TVA_FR_20"}]


def test_refund_is_never_sent_twice_blindly(mirakl, sleeps):
    mirakl.answer(Answer(500, {"message": "oops"}), Answer(200, {"refunds": []}))
    refund = {"order_line_id": "O-1-A-1", "amount": 1, "reason_code": "DAMAGED"}
    with pytest.raises(MiraklOutcomeUnknown, match="may or may not have been processed"):
        client_for(mirakl, sleeps).refund([refund])
    assert len(mirakl.seen) == 1


def test_refund_is_retried_when_mirakl_surely_did_nothing(mirakl, sleeps):
    mirakl.answer(
        Answer(429, headers={"Retry-After": "1"}), Answer(503), Answer(200, {"refunds": []})
    )
    refund = {"order_line_id": "O-1-A-1", "amount": 1, "reason_code": "DAMAGED"}
    client = client_for(mirakl, sleeps)
    # The 429 is waited out in the call; the 503 is transient (Mirakl did nothing).
    with pytest.raises(TransientError) as caught:
        client.refund([refund])
    assert not isinstance(caught.value, MiraklOutcomeUnknown)
    assert sleeps == [1.0]
    assert len(mirakl.seen) == 2
    assert client.refund([refund]) == {"refunds": []}  # the job's retry
    assert len(mirakl.seen) == 3


def test_refund_never_sent_is_transient(sleeps):
    with StubMirakl() as stub:
        url = stub.url  # closed: the connection is refused, nothing was sent
    refund = {"order_line_id": "O-1-A-1", "amount": 1, "reason_code": "DAMAGED"}
    client = MiraklClient(url, API_KEY, timeout=(0.5, 0.5), sleep=sleeps.append)
    with pytest.raises(TransientError) as caught:
        client.refund([refund])
    assert not isinstance(caught.value, MiraklOutcomeUnknown)


@pytest.mark.parametrize("answer", [Answer(drop=True), Answer(delay=0.5), Answer(502, "<html/>")])
def test_refund_and_cancellation_lost_on_the_way_are_outcome_unknown(mirakl, sleeps, answer):
    mirakl.answer(answer, Answer(200, {}))
    client = client_for(mirakl, sleeps, timeout=(1, 0.2))
    refund = {"order_line_id": "O-1-A-1", "amount": 1, "reason_code": "DAMAGED"}
    with pytest.raises(MiraklOutcomeUnknown, match="may or may not have been processed"):
        client.refund([refund])
    cancelation = {"order_line_id": "O-1-A-1", "quantity": 1, "amount": 1, "reason_code": "X"}
    mirakl.answer(answer, Answer(200, {}))
    with pytest.raises(MiraklOutcomeUnknown, match=r"PUT /api/orders/cancel may or may not"):
        client.cancel_lines([cancelation])
    assert len(mirakl.seen) == 2


def test_refund_needs_a_reason(mirakl):
    with pytest.raises(PermanentError) as caught:
        client_for(mirakl).refund([{"order_line_id": "O-1-A-1", "amount": 1}])
    assert caught.value.path == "refunds.0.reason_code"


# ------------------------------------------------------------------ STO01


def _multipart_files(seen):
    message = email.message_from_bytes(
        f"Content-Type: {seen.headers['content-type']}\r\n\r\n".encode() + seen.body,
        policy=email.policy.HTTP,
    )
    return {
        part.get_param("name", header="content-disposition"): part for part in message.iter_parts()
    }


def test_stock_import_posts_a_csv_file(mirakl):
    mirakl.answer(Answer(201, {"import_id": 8812}))
    answer = client_for(mirakl).import_stock(
        [
            {"offer_sku": "MUG-BLUE", "quantity": 12},
            {"offer_sku": 'TEA;POT "XL"', "quantity": 0, "warehouse_code": "WH-LYON"},
            {"offer_sku": "OLD-SKU", "quantity": 0, "update_delete": "delete"},
        ]
    )
    assert answer == {"import_id": 8812}
    [seen] = mirakl.seen
    assert (seen.method, seen.path) == ("POST", "/api/offers/stock/imports")
    assert seen.query == {"shop_id": "2001"}
    assert seen.headers["authorization"] == API_KEY
    assert seen.headers["content-type"].startswith("multipart/form-data; boundary=")
    part = _multipart_files(seen)["file"]
    assert part.get_filename() == "stock.csv"
    assert part.get_content_type() == "text/csv"
    assert part.get_payload(decode=True).decode().splitlines() == [
        '"offer-sku";"quantity";"warehouse-code";"update-delete"',
        '"MUG-BLUE";"12";"";"update"',
        '"TEA;POT ""XL""";"0";"WH-LYON";"update"',
        '"OLD-SKU";"0";"";"delete"',
    ]


@pytest.mark.parametrize(
    ("row", "path"),
    [
        ({"offer_sku": "", "quantity": 1}, "rows.0.offer_sku"),
        ({"offer_sku": "A", "quantity": -1}, "rows.0.quantity"),
        ({"offer_sku": "A", "quantity": 1.5}, "rows.0.quantity"),
        ({"offer_sku": "A", "quantity": 1, "update_delete": "upsert"}, "rows.0.update_delete"),
    ],
)
def test_stock_rows_are_checked_before_calling(mirakl, row, path):
    with pytest.raises(PermanentError) as caught:
        client_for(mirakl).import_stock([row])
    assert caught.value.path == path
    assert mirakl.seen == []
