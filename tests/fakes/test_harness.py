"""The HTTP harness the fakes share, exercised with a tiny fake of its own."""

import socket
import threading
import time

import pytest
import requests

from .harness import FakeServer, LoggedRequest, json_reply, routes


class FakeEcho(FakeServer):
    name = "echo"
    server_version = "FakeEcho"
    ROUTES = routes(
        ("POST", r"/echo/(?P<word>[^/]+)", "_echo", "ECHO"),
        ("GET", r"/boom", "_boom", "BOOM"),
    )

    def _answer(self, entry):
        found = self.route(entry)
        fault = self.faults.take(found[0].name if found else None)
        if fault:
            entry.fault = fault.kind
            return self._fault_reply(fault)
        return self.dispatch(entry, lambda entry: json_reply(404, {"error": "no"}), found)

    def _echo(self, entry, word):
        return json_reply(200, {"word": word, "body": entry.json_or_none(), "q": entry.query})

    def _boom(self, entry):
        raise RuntimeError("a bug in the fake")


@pytest.fixture
def echo():
    with FakeEcho(timeout_seconds=1) as fake:
        yield fake


def test_routes_by_method_and_path_and_logs(echo):
    response = requests.post(f"{echo.base_url}/echo/h%C3%A9?x=1&x=2", json=[1], timeout=5)
    assert response.json() == {"word": "hé", "body": [1], "q": {"x": "2"}}
    assert response.headers["X-Request-Id"]
    assert requests.get(f"{echo.base_url}/echo/hi", timeout=5).status_code == 404
    assert requests.patch(f"{echo.base_url}/echo/hi", timeout=5).status_code == 501
    first, second = echo.request_log  # the 501 never reached the fake
    assert isinstance(first, LoggedRequest)
    assert (first.method, first.path, first.status) == ("POST", "/echo/h%C3%A9", 200)
    assert first.headers["content-type"] == "application/json"
    assert (second.method, second.status) == ("GET", 404)
    echo.clear_log()
    assert echo.request_log == []


def test_faults_are_queued_per_route_and_checked(echo):
    echo.queue_fault("reset", route="BOOM")
    echo.queue_fault("timeout", times=2, seconds=0.5)
    with pytest.raises(requests.ReadTimeout):
        requests.post(f"{echo.base_url}/echo/a", timeout=0.2)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{echo.base_url}/boom", timeout=5)  # the first fault for BOOM
    with pytest.raises(requests.ReadTimeout):
        requests.post(f"{echo.base_url}/echo/a", timeout=0.2)
    assert requests.post(f"{echo.base_url}/echo/a", timeout=5).status_code == 200
    assert [(e.fault, e.status) for e in echo.request_log] == [
        ("timeout", None),
        ("reset", None),
        ("timeout", None),
        (None, 200),
    ]
    with pytest.raises(ValueError, match="unknown fault"):
        echo.queue_fault("meteor")


def test_a_bug_in_the_fake_answers_500_and_is_kept(echo):
    response = requests.get(f"{echo.base_url}/boom", timeout=5)
    assert response.status_code == 500
    assert len(echo.server_errors) == 1 and "a bug in the fake" in echo.server_errors[0]


def test_stop_wakes_held_requests_and_frees_the_port():
    threads_before = set(threading.enumerate())
    fake = FakeEcho().start()
    port = fake.port
    fake.queue_fault("timeout", seconds=60)
    with pytest.raises(requests.ReadTimeout):
        requests.post(f"{fake.base_url}/echo/a", timeout=0.2)
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2
    # The held request was woken: its thread ends at once (a handler thread may
    # still be unwinding when server_close() returns).
    for thread in set(threading.enumerate()) - threads_before:
        thread.join(timeout=2)
    assert set(threading.enumerate()) <= threads_before
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass


def test_an_outage_faults_every_request_until_it_ends(echo):
    echo.queue_fault("timeout", seconds=0.5)  # queued faults wait for the outage to end
    echo.go_down(0.6)
    for _attempt in range(3):
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{echo.base_url}/echo/a", timeout=5)
    time.sleep(0.7)
    with pytest.raises(requests.ReadTimeout):
        requests.post(f"{echo.base_url}/echo/a", timeout=0.2)
    assert requests.post(f"{echo.base_url}/echo/a", timeout=5).status_code == 200
    echo.go_down(60)
    echo.come_back()
    assert requests.post(f"{echo.base_url}/echo/a", timeout=5).status_code == 200
    assert [e.fault for e in echo.request_log] == ["reset"] * 3 + ["timeout", None, None]
    with pytest.raises(ValueError, match="unknown fault"):
        echo.go_down(1, "meteor")
