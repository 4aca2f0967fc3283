"""19.0.1.6.0: a name with one word kept and the others replaced, one more
missing (a surname changed for a double one) is "weak" (a pair to review at
one address), no longer "disagree" (never proposed). The seeded rule is
``noupdate``: its threshold is moved only if nobody changed it."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE retail_identity_field_rule rule
           SET min_similarity = 0.25
          FROM ir_model_data data
         WHERE data.module = 'retail_identity_resolution'
           AND data.name = 'retail_identity_field_rule_name_weak'
           AND data.model = 'retail.identity.field.rule'
           AND rule.id = data.res_id
           AND rule.min_similarity = 0.35
        """
    )
