"""Standard Webhooks signatures (https://www.standardwebhooks.com).

``webhook-signature`` holds space-separated ``v1,<base64 HMAC-SHA256>`` values
of ``"<webhook-id>.<webhook-timestamp>.<body>"``; the key is the base64-decoded
part of a ``whsec_`` secret.
"""

import base64
import binascii
import hashlib
import hmac
import time

from ..const import STANDARD_WEBHOOKS_TOLERANCE_SECONDS
from ..exceptions import SignatureError

SECRET_PREFIX = "whsec_"


def decode_secret(secret):
    """Return the HMAC key of a ``whsec_`` secret."""
    if not secret:
        raise SignatureError("no webhook secret is configured")
    if secret.startswith(SECRET_PREFIX):
        secret = secret[len(SECRET_PREFIX) :]
    try:
        return base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the webhook secret is not valid base64") from None


def sign(secret, msg_id, timestamp, body):
    """Return the ``v1,<signature>`` value for a message."""
    key = decode_secret(secret)
    signed = b"%s.%d.%s" % (msg_id.encode(), int(timestamp), body)
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret, headers, body, now=None, tolerance=STANDARD_WEBHOOKS_TOLERANCE_SECONDS):
    """Check a delivery's signature; raise :class:`SignatureError` if it is off.

    :param dict headers: lower-cased request headers
    :param bytes body: the raw body
    """
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        timestamp = int(timestamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a Unix timestamp") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureError("webhook-timestamp is outside the tolerated window")
    expected = sign(secret, msg_id, timestamp, body).split(",", 1)[1]
    for candidate in signatures.split():
        version, _sep, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
            return
    raise SignatureError("no webhook-signature matches")
