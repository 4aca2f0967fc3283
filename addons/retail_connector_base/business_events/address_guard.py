"""Which network addresses a webhook may reach (server-side request forgery).

A subscriber's URL is resolved when a delivery is sent, every address of the
answer is checked, and the connection goes to the address that was checked
(``http_sender.py``): a DNS answer that changes between the check and the
connection (DNS rebinding) is never used. Loopback, private, link-local
(cloud metadata at 169.254.169.254 included), multicast, reserved and other
non-global addresses, IPv4 or IPv6 (IPv4-mapped ones as their IPv4), are
refused unless a manager allow-listed their network on the subscriber.
"""

import ipaddress
import socket

# Named cloud metadata endpoints, refused even where an allow-list covers them.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)


class AddressRefused(Exception):
    """The URL's host resolves to an address deliveries may not reach."""


def parse_networks(text):
    """The allow-listed networks of a subscriber: CIDRs or addresses
    separated by commas, spaces or new lines.

    :raise ValueError: for an entry that is not a network
    """
    networks = []
    for entry in (text or "").replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return networks


def _plain(address):
    """An IPv4-mapped IPv6 address (::ffff:127.0.0.1) as its IPv4 address."""
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def refusal(address, allowed_networks=()):
    """Why ``address`` may not be reached, or ``None`` if it may."""
    address = _plain(ipaddress.ip_address(address))
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if any(address in network for network in allowed_networks):
        return None
    for attribute, words in (
        ("is_loopback", "a loopback"),
        ("is_link_local", "a link-local"),
        ("is_multicast", "a multicast"),
        ("is_private", "a private"),
        ("is_reserved", "a reserved"),
        ("is_unspecified", "an unspecified"),
    ):
        if getattr(address, attribute):
            return f"{address} is {words} address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def resolve(host, port, allowed_networks=(), getaddrinfo=socket.getaddrinfo):
    """Resolve ``host`` once and return the address to connect to.

    Every address of the answer must be allowed: an answer mixing a public
    and a private address is refused as a whole.

    :raise AddressRefused: with the reason in words
    """
    try:
        answers = getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise AddressRefused(f"{host} does not resolve ({exc})") from None
    addresses = list(dict.fromkeys(info[4][0].split("%", 1)[0] for info in answers))
    if not addresses:
        raise AddressRefused(f"{host} does not resolve")
    for address in addresses:
        reason = refusal(address, allowed_networks)
        if reason:
            raise AddressRefused(f"{host}: {reason}; a manager may allow-list its network")
    return addresses[0]
