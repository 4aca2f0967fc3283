"""19.0.1.5.0 keeps every email, phone and address a customer was seen with
as identity keys (``retail.identity.key``), and searches candidates by them:
the own values of every existing contact become its keys."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.partner"]._retail_backfill_identity_keys()
