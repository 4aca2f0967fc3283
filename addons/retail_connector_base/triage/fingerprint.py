"""The fingerprint of a failure: its kind and its message with the variable
parts (ids, numbers, names, emails, amounts) taken out, so that two failures
differing only in those parts fall into one group."""

import hashlib
import re
from typing import NamedTuple

# Order matters: the most specific shapes first, so an email is not taken
# apart as a word with digits, a URL not as a path of ids.
_SUBSTITUTIONS = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE), "<url>"),
    (
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
        "<uuid>",
    ),
    (re.compile(r"gid://\S+"), "<id>"),
    # Quoted values are what messages name: a product, a customer, a field value.
    (re.compile(r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\"|«[^»\n]{0,200}»"), "<value>"),
    # Codes in capitals joined by dashes or underscores: SKUs (TSHIRT-M).
    (re.compile(r"\b[A-Z0-9]+(?:[-_/][A-Z0-9]+)+\b"), "<n>"),
    # The index in a field path (data.lines.0.unit_price): the field stays named.
    (re.compile(r"(?<=[A-Za-z_]\.)\d+(?=\.[A-Za-z_])"), "<n>"),
    # Words holding a digit: SKUs, order names (#1001), hex ids, dates.
    (re.compile(r"[#$€£]?\b[\w-]*\d[\w./:-]*"), "<n>"),
    # Names in parentheses after an id, e.g. "Unknown SKU <n> (T-shirt, size M)".
    (re.compile(r"\((?!<)[^()\n]{1,120}\)"), "(<value>)"),
)
_SPACES = re.compile(r"\s+")
# Runs of the same placeholder ("<n>, <n>, <n>") collapse: a list of ten
# ids and a list of two are one failure.
_REPEATS = re.compile(r"(<\w+>)(?:[\s,;]+\1)+")
_KIND_PREFIX = re.compile(r"^\s*([A-Z]\w*(?:Error|Exception|Failure|Violation))\s*:\s*")
MAX_MESSAGE = 500


class Fingerprint(NamedTuple):
    key: str  # 16 hex digits: what groups failures
    kind: str
    pattern: str  # the message with its variable parts taken out


def normalize_message(message):
    """``message`` with ids, numbers, quoted names, emails and amounts
    replaced by placeholders, whitespace collapsed, lower case."""
    text = (message or "").strip()[: MAX_MESSAGE * 4]
    for regex, placeholder in _SUBSTITUTIONS:
        text = regex.sub(placeholder, text)
    text = _REPEATS.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip().lower()[:MAX_MESSAGE]


def fingerprint(source, message, kind=None):
    """The fingerprint of a failure from ``source`` (``event``, ``job``,
    ``hold``, ``outbox``...) with ``message``.

    :param kind: the error's kind when the source knows it (an exception
        class name); otherwise read from a ``SomeError: ...`` prefix of the
        message, or the source itself.
    """
    message = message or ""
    if not kind:
        match = _KIND_PREFIX.match(message)
        if match:
            kind, message = match.group(1), message[match.end() :]
    kind = f"{source}:{kind}" if kind else source
    pattern = normalize_message(message)
    key = hashlib.sha1(f"{kind}\n{pattern}".encode()).hexdigest()[:16]
    return Fingerprint(key, kind, pattern)
