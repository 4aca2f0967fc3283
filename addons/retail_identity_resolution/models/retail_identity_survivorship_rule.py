from datetime import datetime

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..consent import CONSENT_CHANNELS, merge_consent

PARTNER = "res.partner"

STRATEGY_SELECTION = [
    ("priority", "Channel priority"),
    ("recent", "Most recent"),
    ("odoo", "Odoo is master"),
]
# Fields survivorship leaves alone: the partner's place in the hierarchy,
# its kind and its company; consent has rules of its own.
UNMERGED_FIELDS = frozenset(
    {
        *models.MAGIC_COLUMNS,
        "parent_id",
        "active",
        "company_id",
        "is_company",
        "type",
        "commercial_partner_id",
    }
)
# A flag saying a value is weak: a marketplace's relay address is never
# preferred to a customer's own, and goes with the address it qualifies.
WEAK_VALUE_FLAGS = {"email": "retail_email_relay"}


def field_value_json(partner, name):
    """The value of field ``name`` of ``partner`` as stored in JSON and written back."""
    field = partner._fields[name]
    value = partner[name]
    if field.type == "many2one":
        return value.id or False
    if field.type in ("date", "datetime"):
        return field.to_string(value) if value else False
    if field.type == "reference":
        return f"{value._name},{value.id}" if value else False
    if field.type == "html":
        return str(value) if value else False
    return value


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

    # Applying the rules to a merge

    @api.model
    def _get_default_merged_fields(self, partner):
        """Fields without a survivorship rule: the kept customer's blanks are
        filled from the merged one, as Odoo's partner merge does (a boolean
        has no blank: False is a value)."""
        consent_fields = set(partner._retail_consent_fields())
        return [
            name
            for name, field in partner._fields.items()
            if field.store
            and not field.compute
            and not field.company_dependent
            and field.type not in ("boolean", "one2many", "many2many", "binary", "properties")
            and name not in UNMERGED_FIELDS
            and name not in consent_fields
        ]

    @api.model
    def _get_profile(self, partner):
        """What the strategies compare: channel priority, last update, origin."""
        bindings = (
            self.env["retail.binding"]
            .sudo()
            .search([("res_model", "=", PARTNER), ("res_id", "=", partner.id)])
        )
        updates = [partner.write_date or partner.create_date]
        updates += [date for date in bindings.mapped("external_updated_at") if date]
        return {
            "bound": bool(bindings),
            "priority": max(bindings.backend_id.mapped("identity_priority"), default=None),
            "updated": max((date for date in updates if date), default=datetime.min),
        }

    @api.model
    def _merged_side_wins(self, strategy, kept, merged):
        if strategy == "priority":
            kept_rank = kept["priority"] if kept["priority"] is not None else float("-inf")
            merged_rank = merged["priority"] if merged["priority"] is not None else float("-inf")
            return merged_rank > kept_rank
        if strategy == "recent":
            return merged["updated"] > kept["updated"]
        if strategy == "odoo":
            return kept["bound"] and not merged["bound"]
        return False

    @api.model
    def _get_surviving_values(self, dst, src):
        """The values to write on ``dst``: per attribute, by its rule."""
        kept, merged = self._get_profile(dst), self._get_profile(src)
        attributes = self._get_attributes()
        ruled = {name for _rule, _strategy, names in attributes for name in names}
        attributes += [
            (name, None, (name,))
            for name in self._get_default_merged_fields(dst)
            if name not in ruled
        ]
        values = {}
        for _rule, strategy, attribute_names in attributes:
            names = attribute_names + tuple(
                WEAK_VALUE_FLAGS[name]
                for name in attribute_names
                if WEAK_VALUE_FLAGS.get(name) in dst._fields
            )
            src_values = {name: field_value_json(src, name) for name in names}
            dst_values = {name: field_value_json(dst, name) for name in names}
            if src_values == dst_values or not any(src_values.values()):
                continue
            weaker = self._get_weaker_side(dst, src, attribute_names)
            if weaker == "src":
                continue
            if (
                weaker == "dst"
                or not any(dst_values.values())
                or self._merged_side_wins(strategy, kept, merged)
            ):
                # flags go with their value even when equal (writing an email
                # alone says it is not a relay)
                values.update(
                    {
                        name: value
                        for name, value in src_values.items()
                        if value != dst_values[name] or name not in attribute_names
                    }
                )
        values.update(self._get_surviving_consent(dst, src))
        return values

    @api.model
    def _get_weaker_side(self, dst, src, names):
        """``"src"`` or ``"dst"`` if that side's value is flagged weak and the
        other one's is not (see ``WEAK_VALUE_FLAGS``), else ``None``."""
        for name in names:
            flag = WEAK_VALUE_FLAGS.get(name)
            if not flag or flag not in dst._fields or not (dst[name] and src[name]):
                continue
            if src[flag] and not dst[flag]:
                return "src"
            if dst[flag] and not src[flag]:
                return "dst"
        return None

    @api.model
    def _get_surviving_consent(self, dst, src):
        values = {}
        for channel in CONSENT_CHANNELS:
            kept = dst._retail_consent_state(channel)
            result = merge_consent(kept, src._retail_consent_state(channel))
            if result != kept:
                values.update(dst._retail_consent_values(channel, result))
        return values
