import socket

from odoo.tests.common import BaseCase

from ..business_events import address_guard, catalogue, http_sender
from .event_receiver import EventReceiver


def answers(*addresses):
    """A resolver answering ``addresses``, counting its calls."""
    calls = []

    def getaddrinfo(host, port, type=0):
        calls.append(host)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, type, 6, "", (a, port))
            for a in addresses
        ]

    return getaddrinfo, calls


class TestAddressGuard(BaseCase):
    """Which addresses a webhook may reach: plain Python, no database."""

    def test_non_public_addresses_are_refused(self):
        for address, words in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "metadata"),
            ("169.254.10.10", "link-local"),
            ("224.0.0.1", "multicast"),
            ("0.0.0.0", "private"),
            ("100.64.0.1", "not a public"),
            ("::1", "loopback"),
            ("fe80::1", "link-local"),
            ("fc00::1", "private"),
            ("fd00:ec2::254", "metadata"),
            ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.0.0.1", "private"),
        ]:
            with self.subTest(address):
                self.assertIn(words, address_guard.refusal(address))

    def test_public_addresses_pass(self):
        for address in ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"):
            self.assertIsNone(address_guard.refusal(address))

    def test_allow_list_opens_a_network_but_never_metadata(self):
        networks = address_guard.parse_networks("10.0.3.0/24, 127.0.0.1 169.254.0.0/16")
        self.assertIsNone(address_guard.refusal("10.0.3.7", networks))
        self.assertIsNone(address_guard.refusal("127.0.0.1", networks))
        self.assertIn("private", address_guard.refusal("10.0.4.7", networks))
        self.assertIn("metadata", address_guard.refusal("169.254.169.254", networks))
        with self.assertRaisesRegex(ValueError, "'intranet' is not an IP"):
            address_guard.parse_networks("intranet")

    def test_an_answer_mixing_public_and_private_is_refused(self):
        resolver, _calls = answers("93.184.215.14", "10.0.0.1")
        with self.assertRaisesRegex(address_guard.AddressRefused, "10.0.0.1 is a private"):
            address_guard.resolve("hooks.example.com", 443, getaddrinfo=resolver)

    def test_unresolvable_host_is_refused(self):
        with self.assertRaisesRegex(address_guard.AddressRefused, "does not resolve"):
            address_guard.resolve("no-such-host.invalid", 443)

    def test_delivery_connects_to_the_address_checked_not_a_second_answer(self):
        """DNS rebinding: the host is resolved once; the connection goes to
        the checked address whatever a later answer would say."""
        resolved = []

        def rebinding(host, port, type=0):
            resolved.append(host)
            address = "127.0.0.1" if len(resolved) == 1 else "10.9.9.9"
            return [(socket.AF_INET, type, 6, "", (address, port))]

        with EventReceiver() as receiver:
            url = receiver.url.replace("127.0.0.1", "receiver.test")
            answer = http_sender.post(
                url,
                b"{}",
                {"content-type": "application/json"},
                address_guard.parse_networks("127.0.0.1"),
                getaddrinfo=rebinding,
            )
        self.assertEqual((answer.status, answer.address), (200, "127.0.0.1"))
        self.assertEqual(resolved, ["receiver.test"], "resolved once")
        headers = {k.lower(): v for k, v in receiver.requests[0]["headers"].items()}
        host = headers["host"]
        self.assertTrue(host.startswith("receiver.test:"), "the URL's host is kept")

    def test_loopback_name_is_refused(self):
        with self.assertRaisesRegex(address_guard.AddressRefused, "loopback"):
            http_sender.post("http://localhost:9/x", b"{}", {})

    def test_urls_with_credentials_or_other_schemes_are_refused(self):
        for url in ("ftp://example.com/x", "http://user:pw@example.com/x", "example.com"):
            with self.subTest(url), self.assertRaises(ValueError):
                http_sender.split_url(url)


class TestEventCatalogue(BaseCase):
    def test_wildcards_match_types(self):
        patterns = catalogue.parse_patterns("order.*, customer.updated")
        self.assertTrue(catalogue.matches(patterns, "order.held"))
        self.assertTrue(catalogue.matches(patterns, "customer.updated"))
        self.assertFalse(catalogue.matches(patterns, "customer.created"))
        self.assertTrue(catalogue.matches(["*"], "return.received"))
        self.assertEqual(catalogue.unknown_patterns(["order.*", "orders.*"]), ["orders.*"])

    def test_catalogue_has_the_issue_s_types(self):
        self.assertEqual(
            set(catalogue.EVENT_TYPES),
            {
                "customer.created",
                "customer.updated",
                "customer.merged",
                "order.confirmed",
                "order.held",
                "order.released",
                "order.cancelled",
                "shipment.dispatched",
                "shipment.delivered",
                "inventory.adjusted",
                "refund.created",
                "return.received",
            },
        )
