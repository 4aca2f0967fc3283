"""19.0.1.4.0 ships the graded field rules and thresholds on the match
probability.

* The seeded field rules are reloaded from the data file (their weights were
  for the coarse comparisons, which the graded ones replace): their external
  ids stop being ``noupdate`` for this update, so the upgrade rewrites them
  and removes the seeded rules the file no longer has (street and house
  number as one field). Rules a user added are left alone.
* The thresholds were bits (21 and 20 by default) and are now match
  probabilities: any value above 1 becomes the new default.
"""

from odoo.addons.retail_identity_resolution.matching import (
    DEFAULT_AUTO_THRESHOLD,
    DEFAULT_REVIEW_THRESHOLD,
)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE ir_model_data SET noupdate = false
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
