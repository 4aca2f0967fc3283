"""Values shared by the whole suite, defined once."""

EVENT_STATES = [
    ("received", "Received"),
    ("queued", "Queued"),
    ("done", "Done"),
    ("ignored", "Ignored"),
    ("failed", "Failed"),
    ("dead", "Dead"),
]
# States from which an event still waits for processing (the backlog).
PENDING_EVENT_STATES = ("received", "queued")
# States an admin may replay from.
REPLAYABLE_EVENT_STATES = ("failed", "dead", "received")

EVENT_SOURCES = [
    ("webhook", "Webhook"),
    ("poll", "Poll"),
    ("api", "API"),
]

BACKEND_STATES = [
    ("draft", "Draft"),
    ("active", "Active"),
    ("paused", "Paused"),
]

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
# A webhook body must arrive within this many seconds: a sender trickling it
# (slow loris) would otherwise hold an HTTP worker until Odoo kills it.
WEBHOOK_BODY_TIMEOUT_SECONDS = 10
# Retry-After of a delivery answered while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 5
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_RAW_BODY_RETENTION_DAYS = 30

# Priority of event processing jobs (queue_job: lower runs first).
EVENT_JOB_PRIORITY = 5
# Stock counts of one backend applied together by one event's job: that
# event's and the ones queued behind it (retail.inventory.batch).
INVENTORY_BATCH_SIZE = 50

# Standard Webhooks (https://www.standardwebhooks.com): tolerated clock skew.
STANDARD_WEBHOOKS_TOLERANCE_SECONDS = 5 * 60

# Customer fields a channel may be allowed to update on an existing partner,
# by the backend's system-of-record switches.
PARTNER_FIELD_GROUPS = {
    "name": ("name",),
    "contact": ("email", "phone"),
    "address": ("street", "street2", "city", "zip", "state_id", "country_id"),
    "lang": ("lang",),
}
