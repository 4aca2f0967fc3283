"""A small carrier label API client on the suite's one request path.

``POST <carrier_url>/labels`` with the shipment; the carrier answers
``{"tracking_number", "label_url"}``. The order's reference travels as the
``Idempotency-Key`` so a label whose answer was lost is not made twice.
``POST <carrier_url>/labels/<tracking number>/void`` voids a label (voiding
it again answers the same); the carrier answers ``{"tracking_number",
"voided": true}``, 404 for a label it does not know.
"""

from urllib.parse import quote

from .api_client import ApiClient


class CarrierClient(ApiClient):
    channel = "The carrier"

    def _build_request_headers(self, request):
        headers = super()._build_request_headers(request)
        key = request.options.get("idempotency_key")
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def create_label(self, shipment, idempotency_key):
        """Create the label of ``shipment`` (a dict); return the carrier's answer."""
        return self.send("POST", "/labels", json=shipment, idempotency_key=idempotency_key) or {}

    def void_label(self, tracking_number):
        """Void the label ``tracking_number``; return the carrier's answer."""
        number = quote(tracking_number, safe="")
        return self.send("POST", f"/labels/{number}/void") or {}

    def _breaker_family(self, request):
        """Override of `retail_connector_base`: labels are made and voided by
        one service."""
        return "labels"
