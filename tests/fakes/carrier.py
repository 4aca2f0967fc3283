"""A carrier's label API on the fakes' HTTP harness: ``POST /labels`` with an
``Idempotency-Key`` creates one label per key (a repeated key answers the same
label, 200 instead of 201); ``POST /labels/<tracking number>/void`` voids it
(a label voided again answers the same, an unknown number 404). Besides the
harness's faults (``timeout``, ``reset``), ``unavailable`` answers 503;
``go_down(seconds, "unavailable")`` is an outage."""

import threading

from .harness import FakeServer, json_reply, routes


class FakeCarrier(FakeServer):
    name = "carrier"
    ROUTES = routes(
        ("POST", r"/labels", "_label", "LABEL"),
        ("POST", r"/labels/(?P<number>[^/]+)/void", "_void", "VOID"),
    )
    FAULT_KINDS = ("timeout", "reset", "unavailable")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.labels = {}  # idempotency key -> tracking number
        self.created = []  # (idempotency key, shipment) of each label made
        self.voided = []  # tracking numbers, in the order they were voided (once each)
        self._labels_lock = threading.Lock()

    def _answer(self, entry):
        found = self.route(entry)
        fault = self.faults.take(found[0].name if found else None)
        if fault:
            entry.fault = fault.kind
            return self._fault_reply(fault)
        return self.dispatch(entry, lambda entry: json_reply(404, {"error": "not found"}), found)

    def _fault_reply(self, fault):
        if fault.kind == "unavailable":
            return json_reply(503, {"error": "label service unavailable"})
        return super()._fault_reply(fault)

    def _label(self, entry):
        key = entry.headers.get("idempotency-key")
        shipment = entry.json_or_none()
        if not key or not isinstance(shipment, dict):
            return json_reply(400, {"error": "an Idempotency-Key and a JSON shipment are required"})
        with self._labels_lock:
            created = key not in self.labels
            if created:
                self.labels[key] = f"FC{len(self.labels) + 1:06d}"
                self.created.append((key, shipment))
            number = self.labels[key]
        return json_reply(
            201 if created else 200,
            {"tracking_number": number, "label_url": f"/labels/{number}.pdf"},
        )

    def _void(self, entry, number):
        with self._labels_lock:
            if number not in self.labels.values():
                return json_reply(404, {"error": f"no label {number}"})
            if number not in self.voided:
                self.voided.append(number)
        return json_reply(200, {"tracking_number": number, "voided": True})
