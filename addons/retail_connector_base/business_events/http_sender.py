"""One webhook delivery: a signed POST to the address that was checked.

The host is resolved and checked once (``address_guard.resolve``) and the
connection goes to that address, with the URL's host name kept for the
``Host`` header, TLS SNI and certificate checks. Timeouts are short,
redirects are never followed, at most a few KB of the answer are read.
Connection pools are kept per (scheme, address, port, host) and thread.
"""

import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

from ..adapters import standard_webhooks
from .address_guard import resolve

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
MAX_ANSWER_BYTES = 4096
USER_AGENT = "RetailConnect-Webhooks/1"

_local = threading.local()


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    address: str


def signed_headers(secret, message_id, body, timestamp=None):
    """The Standard Webhooks headers of ``body`` (bytes)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_webhooks.sign(secret, message_id, timestamp, body),
    }


def split_url(url):
    """``(scheme, host, port, path with query)`` of an http(s) URL.

    :raise ValueError: for another scheme or a URL without host
    """
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise ValueError("credentials in the URL are not accepted; use the signing secret")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, parts.hostname, port, path


def _pool(scheme, address, port, host):
    pools = getattr(_local, "pools", None)
    if pools is None:
        pools = _local.pools = {}
    key = (scheme, address, port, host)
    pool = pools.get(key)
    if pool is None:
        timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
        if scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address,
                port,
                timeout=timeout,
                retries=False,
                maxsize=1,
                server_hostname=host,
                assert_hostname=host,
                cert_reqs="CERT_REQUIRED",
            )
        else:
            pool = urllib3.HTTPConnectionPool(
                address, port, timeout=timeout, retries=False, maxsize=1
            )
        pools[key] = pool
    return pool


def post(url, body, headers, allowed_networks=(), getaddrinfo=None):
    """POST ``body`` to ``url``; return the :class:`Answer`.

    :raise address_guard.AddressRefused: the host's address is refused
    :raise urllib3.exceptions.HTTPError: no answer (timeout, refused...)
    """
    scheme, host, port, path = split_url(url)
    kwargs = {"getaddrinfo": getaddrinfo} if getaddrinfo else {}
    address = resolve(host, port, allowed_networks, **kwargs)
    default_port = 443 if scheme == "https" else 80
    host_header = host if port == default_port else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if port == default_port else f"[{host}]:{port}"
    response = _pool(scheme, address, port, host).urlopen(
        "POST",
        path,
        body=body,
        headers={"host": host_header, "user-agent": USER_AGENT} | headers,
        redirect=False,
        retries=False,
        assert_same_host=False,
        preload_content=False,
    )
    try:
        text = response.read(MAX_ANSWER_BYTES, decode_content=False)
    finally:
        if response.length_remaining == 0:
            response.release_conn()  # kept alive for the next delivery
        else:
            response.close()  # a chunked or longer answer is not read to its end
    return Answer(response.status, text.decode("utf-8", "replace"), address)


def new_message_id():
    return f"evt_{uuid.uuid4().hex}"
