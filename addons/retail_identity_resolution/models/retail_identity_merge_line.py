from odoo import api, fields, models

LINE_KIND_SELECTION = [
    ("column", "Column"),  # a many2one or many2one_reference column, rows by id
    ("relation", "Many2many"),  # a relation table without ids, rows by the other column
    ("reference", "Reference"),  # a reference field: 'res.partner,<id>'
]


class RetailIdentityMergeLine(models.Model):
    """Rows a merge moved from the merged customer to the kept one: one line
    per table and column, so that undo moves exactly these back."""

    _name = "retail.identity.merge.line"
    _description = "Customer merge: rows moved"
    _order = "merge_id, id"

    merge_id = fields.Many2one(
        "retail.identity.merge", required=True, index=True, ondelete="cascade"
    )
    kind = fields.Selection(LINE_KIND_SELECTION, required=True, default="column")
    table_name = fields.Char(string="Table", required=True)
    column_name = fields.Char(string="Column", required=True)
    other_column = fields.Char(help="Many2many only: the column identifying the moved rows.")
    res_model = fields.Char(string="Model")
    record_ids = fields.Json(
        string="Rows", help="Ids of the moved rows (many2many: the other ids)."
    )
    row_count = fields.Integer(string="Rows moved")
    model_description = fields.Char(string="What", compute="_compute_model_description")
    field_description = fields.Char(string="Through", compute="_compute_model_description")

    @api.depends("res_model", "table_name", "column_name")
    def _compute_model_description(self):
        for line in self:
            if not line.res_model or line.res_model not in self.env:
                line.model_description = line.table_name
                line.field_description = line.column_name
                continue
            model = self.env[line.res_model]
            line.model_description = model._description or line.res_model
            field = model._fields.get(line.column_name)
            line.field_description = field.string if field else line.column_name

    def action_open_records(self):
        """Show the moved records (rows of a model, not of a relation table)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.model_description,
            "res_model": self.res_model,
            "view_mode": "list,form",
            "domain": [("id", "in", self.record_ids or [])],
            "context": {"active_test": False},
        }
