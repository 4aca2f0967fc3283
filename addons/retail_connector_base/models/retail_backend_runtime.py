from odoo import api, fields, models


class RetailBackendRuntime(models.Model):
    """Values a backend's jobs keep between runs (a granted access token, a
    running bulk operation): runtime state, not configuration.

    Readable by system administrators only: a value may be a credential.
    Code reads and writes it through ``retail.backend._get_runtime_value``
    and ``_set_runtime_values`` (sudo). Wiped by neutralization.
    """

    _name = "retail.backend.runtime"
    _description = "Retail Backend Runtime Value"
    _order = "backend_id, key"

    backend_id = fields.Many2one("retail.backend", required=True, ondelete="cascade", index=True)
    key = fields.Char(required=True)
    value = fields.Json()

    _backend_key_uniq = models.Constraint(
        "UNIQUE(backend_id, key)", "One value per key and backend."
    )

    @api.model
    def _read_values(self, backend, keys):
        """``{key: value}`` of ``backend`` for ``keys`` (missing keys absent)."""
        records = self.sudo().search([("backend_id", "=", backend.id), ("key", "in", list(keys))])
        return {record.key: record.value for record in records}

    @api.model
    def _write_values(self, backend, values):
        """Set ``backend``'s values; a ``None`` value removes its key."""
        Runtime = self.sudo()
        existing = {
            record.key: record
            for record in Runtime.search(
                [("backend_id", "=", backend.id), ("key", "in", list(values))]
            )
        }
        for key, value in values.items():
            record = existing.get(key, Runtime)
            if value is None:
                record.unlink()  # an empty recordset when the key is missing
            elif record:
                record.value = value
            else:
                Runtime.create({"backend_id": backend.id, "key": key, "value": value})
