"""Helpers of the business event tests: a subscription to a local receiver,
its deliveries run as queue_job runs them, payloads checked against the
published JSON Schemas."""

import jsonschema

from ..business_events import envelope
from .common import RetailCase

# The test receivers run on 127.0.0.1: allow-listed explicitly.
LOCAL_NETWORK = "127.0.0.1/32"
SCHEMAS = envelope.json_schemas()


def assert_valid_event(payload):
    """Validate ``payload`` against the JSON Schema of its type and version."""
    schema = SCHEMAS[f"{payload['type']}.v{payload['version']}.schema.json"]
    jsonschema.validate(payload, schema)
    return payload


class EventCase(RetailCase):
    def subscribe(self, url="http://127.0.0.1:9/hooks", types="*", **values):
        return self.env["retail.business.event.subscription"].create(
            {
                "name": "Analytics",
                "url": url,
                "event_types": types,
                "allowed_networks": LOCAL_NETWORK,
                **values,
            }
        )

    def events(self, event_type=None):
        domain = [("event_type", "=", event_type)] if event_type else []
        return self.env["retail.business.event"].search(domain, order="id")

    def deliver(self, deliveries):
        """Run each delivery's current job; return the failures."""
        return [self.run_job(delivery.job_id) for delivery in deliveries.sorted("id")]
