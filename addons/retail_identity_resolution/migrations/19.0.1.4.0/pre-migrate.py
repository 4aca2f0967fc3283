"""19.0.1.4.0 ships the graded field rules and thresholds on the match
probability.

* The seeded field rules are reloaded from the data file (their weights were
  for the coarse comparisons, which the graded ones replace; the file is
  ``noupdate``, so an upgrade would keep them): the rules of the fields and
  outcomes the file seeds are deleted and created again by the upgrade, and
  the other seeded ones (street and house number as one field) are deleted.
  Other rules a user added are left alone.
* The thresholds were bits (21 and 20 by default) and are now match
  probabilities: any value above 1 becomes the new default.
"""

from odoo.addons.retail_identity_resolution.matching import (
    DEFAULT_AUTO_THRESHOLD,
    DEFAULT_REVIEW_THRESHOLD,
)
from odoo.addons.retail_identity_resolution.matching.rules import load_rules_xml


def migrate(cr, version):
    if not version:
        return
    seeded = [(rule["field"], rule["outcome"]) for rule in load_rules_xml()]
    cr.execute(
        """
        DELETE FROM retail_identity_field_rule
         WHERE (field, outcome) IN %s
            OR id IN (SELECT res_id FROM ir_model_data
                       WHERE module = 'retail_identity_resolution'
                         AND model = 'retail.identity.field.rule')
        """,
        (tuple(seeded),),
    )
    cr.execute(
        """
        DELETE FROM ir_model_data
         WHERE module = 'retail_identity_resolution'
           AND model = 'retail.identity.field.rule'
        """
    )
    for table, auto, review in (
        ("retail_backend", "identity_auto_threshold", "identity_review_threshold"),
        ("retail_identity_dedup_run", "auto_threshold", "review_threshold"),
    ):
        cr.execute(
            f"""
            UPDATE {table} SET {auto} = %s, {review} = %s
             WHERE {auto} > 1 OR {review} > 1
            """,
            (DEFAULT_AUTO_THRESHOLD, DEFAULT_REVIEW_THRESHOLD),
        )
