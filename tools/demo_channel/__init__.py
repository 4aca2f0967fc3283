"""The demo channel: a simulated shop that posts signed generic-channel
webhooks (orders, customer updates, duplicates, refunds, cancellations and a
few bad messages) to a demo backend, so a first run shows Odoo at work.

``python -m tools.demo_channel --config demo.json`` (see ``--help``); the
configuration is what ``create_backend.py`` prints from Odoo. Plain Python
and requests: it never imports Odoo.
"""
