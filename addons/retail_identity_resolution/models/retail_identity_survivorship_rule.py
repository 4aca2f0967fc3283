from odoo import api, fields, models
from odoo.exceptions import ValidationError

STRATEGY_SELECTION = [
    ("priority", "Channel priority"),
    ("recent", "Most recent"),
    ("odoo", "Odoo is master"),
]


class RetailIdentitySurvivorshipRule(models.Model):
    """Which value a merged customer keeps, per attribute.

    An attribute is one field or a group of fields that only make sense
    together (a postal address): the whole group comes from one side. A
    value always beats an empty one; the strategy decides between two values:

    - channel priority: the side bound to the channel with the highest
      identity priority;
    - most recent: the side updated last (by Odoo or by its channel);
    - Odoo is master: the side entered in Odoo rather than created by a
      channel; between two channel customers, the kept one.

    Fields without a rule keep the kept customer's value and only fill its
    blanks, as Odoo's own partner merge does.
    """

    _name = "retail.identity.survivorship.rule"
    _description = "Customer merge survivorship rule"
    _order = "sequence, id"

    name = fields.Char(string="Attribute", required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    field_ids = fields.Many2many(
        "ir.model.fields",
        "retail_identity_survivorship_rule_field_rel",
        "rule_id",
        "field_id",
        string="Fields",
        required=True,
        domain=[("model", "=", "res.partner"), ("store", "=", True)],
        ondelete="cascade",
        help="Fields decided together: they all come from the same customer.",
    )
    strategy = fields.Selection(STRATEGY_SELECTION, required=True, default="recent")
    note = fields.Text()

    @api.constrains("field_ids", "active")
    def _check_field_once(self):
        rules = self.search([])
        seen = {}
        for rule in rules:
            for field in rule.field_ids:
                if field.model != "res.partner":
                    raise ValidationError(
                        self.env._("%s is not a field of contacts.", field.display_name)
                    )
                if field.id in seen:
                    raise ValidationError(
                        self.env._(
                            "%(field)s is decided by two rules: %(first)s and %(second)s.",
                            field=field.field_description,
                            first=seen[field.id],
                            second=rule.name,
                        )
                    )
                seen[field.id] = rule.name

    @api.model
    def _get_attributes(self):
        """Return ``[(rule name, strategy, (field names...)), ...]`` in order."""
        Partner = self.env["res.partner"]
        attributes = []
        for rule in self.sudo().search([]):
            names = tuple(name for name in rule.field_ids.mapped("name") if name in Partner._fields)
            if names:
                attributes.append((rule.name, rule.strategy, names))
        return attributes


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    identity_priority = fields.Integer(
        string="Identity priority",
        default=10,
        help="When two customers are merged, attributes ruled by channel priority keep "
        "the value of the customer bound to the channel with the highest priority. "
        "Contacts entered in Odoo rank below every channel for these attributes.",
    )
