from odoo import fields, models


class ResPartner(models.Model):
    """The merges a customer took part in, kept or merged."""

    _inherit = "res.partner"

    retail_merge_count = fields.Integer(
        string="Merges",
        compute="_compute_retail_merge_count",
        groups="retail_connector_base.group_retail_connect_user",
    )

    def _retail_merge_domain(self):
        return ["|", ("dst_partner_id", "in", self.ids), ("src_partner_id", "in", self.ids)]

    def _compute_retail_merge_count(self):
        Merge = self.env["retail.identity.merge"]
        for partner in self:
            partner.retail_merge_count = (
                Merge.search_count(partner._retail_merge_domain()) if partner.id else 0
            )

    def action_view_retail_merges(self):
        """Open the merges of this customer (undo is on each merge)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_identity_resolution.retail_identity_merge_action"
        )
        action["domain"] = self._retail_merge_domain()
        action["context"] = {"create": False}
        return action
