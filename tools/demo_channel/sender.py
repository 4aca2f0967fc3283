"""Signs a message the Standard Webhooks way and posts it to the backend."""

import base64
import hashlib
import hmac
import json
import os
import time

import requests

WRONG_SECRET = "whsec_" + base64.b64encode(b"not-the-demo-backend-secret-32by").decode()


def sign(secret, msg_id, timestamp, body):
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed with the
    base64-decoded part of a ``whsec_`` secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, b"%s.%d.%s" % (msg_id.encode(), timestamp, body), hashlib.sha256)
    return "v1," + base64.b64encode(digest.digest()).decode()


def delivery(message, secret, now=None):
    """``(body, headers)`` of ``message``."""
    body = json.dumps(message.payload).encode()
    timestamp = int(now if now is not None else time.time())
    key = WRONG_SECRET if message.bad_signature else secret
    return body, {
        "Content-Type": "application/json",
        "User-Agent": "retail-connect-demo-channel/1",
        "webhook-id": message.msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, message.msg_id, timestamp, body),
    }


class Sender:
    """Posts messages to one webhook URL; connection failures are retried
    (Odoo restarting), answers are returned as they come."""

    def __init__(self, url, secret, session=None, retry_for=60):
        self.url = url
        self.secret = secret
        self.session = session or requests.Session()
        self.retry_for = retry_for

    def send(self, message):
        """:return: ``(HTTP status, answer text)``"""
        deadline = time.monotonic() + self.retry_for
        while True:
            body, headers = delivery(message, self.secret)
            try:
                response = self.session.post(self.url, data=body, headers=headers, timeout=30)
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)
                continue
            if response.status_code == 503 and time.monotonic() < deadline:
                time.sleep(2)  # the database is not reachable yet: send again
                continue
            return response.status_code, answer_text(response)


def answer_text(response):
    try:
        answer = response.json()
    except ValueError:
        return response.text.strip()[:120]
    if isinstance(answer, dict):
        return str(answer.get("error") or answer.get("status") or answer)[:120]
    return str(answer)[:120]


def wait_for_odoo(base_url, timeout):
    """Wait until ``/web/health`` answers (the first start installs the addons)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{base_url}/web/health", timeout=5).ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"Odoo did not answer at {base_url} within {timeout} s")
        time.sleep(3)


def webhook_url(config, odoo_url=None):
    """The backend's webhook URL: ``odoo_url`` (or $RETAIL_DEMO_ODOO_URL)
    joined to its path, else the URL Odoo computed from web.base.url."""
    odoo_url = odoo_url or os.environ.get("RETAIL_DEMO_ODOO_URL")
    if odoo_url:
        return odoo_url.rstrip("/") + config["webhook_path"]
    return config["webhook_url"]
