"""Matching engine: plain Python, no Odoo.

``record`` builds the comparable view of a customer, ``blocking`` the keys
candidates are searched by, ``scoring`` the Fellegi-Sunter comparison and the
decision. The parameters (field rules) are data: see
``retail.identity.field.rule`` and ``data/retail_identity_field_rule_data.xml``.
"""

from .blocking import CANDIDATES_PER_KEY, blocking_keys, extended_blocking_keys
from .record import IdentityRecord, record_from_values
from .resolution import Resolution, resolve
from .scoring import (
    DEFAULT_AUTO_THRESHOLD,
    DEFAULT_REVIEW_THRESHOLD,
    Contribution,
    MatchModel,
    Score,
    decide,
    is_strong,
)
