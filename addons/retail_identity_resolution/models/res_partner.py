from odoo import api, fields, models
from odoo.tools.sql import drop_index

from ..matching import CANDIDATES_PER_KEY, blocking_keys, record_from_values

# matching.blocking_keys() name -> the stored res.partner column holding it.
# Each column has a partial (key, id) index over the partners candidates are
# taken from, so a candidate search is one index range scan per key.
BLOCKING_COLUMNS = {
    "email": "retail_email_key",
    "phone": "retail_phone_key",
    "zip_phonetic": "retail_zip_phonetic_key",
    "zip_house": "retail_zip_house_key",
    "phonetic_city": "retail_phonetic_city_key",
}
# Below this many rows, counting the contacts is cheaper than it is wrong.
SMALL_POPULATION = 100_000
_CANDIDATE_WHERE = "IS NOT NULL AND parent_id IS NULL"


def _key_index(column):
    return models.Index(f"({column}, id) WHERE {column} {_CANDIDATE_WHERE}")


class ResPartner(models.Model):
    _inherit = "res.partner"

    retail_email_key = fields.Char(
        string="Email key",
        compute="_compute_retail_identity_keys",
        store=True,
        help="The email as customers are matched on (case, Gmail dots and +tags ignored).",
    )
    retail_phone_key = fields.Char(
        string="Phone key",
        compute="_compute_retail_identity_keys",
        store=True,
        help="The phone in E.164, read with the contact's or the company's country.",
    )
    retail_name_key = fields.Char(
        string="Name key",
        compute="_compute_retail_identity_keys",
        store=True,
        help="The name without accents, case, titles or word order.",
    )
    retail_zip_phonetic_key = fields.Char(
        string="Postal code + name sound key",
        compute="_compute_retail_identity_keys",
        store=True,
        help="Finds the same name typed or spelled differently at the same postal code.",
    )
    retail_zip_house_key = fields.Char(
        string="Postal code + house number key",
        compute="_compute_retail_identity_keys",
        store=True,
        help="Finds the same address whatever name was typed.",
    )
    retail_phonetic_city_key = fields.Char(
        string="Name sound + city key",
        compute="_compute_retail_identity_keys",
        store=True,
        help="Finds the same name in the same city when the postal code was mistyped.",
    )
    retail_email_relay = fields.Boolean(
        string="Relay email",
        copy=False,
        help="The email is a marketplace's relay address: it reaches the customer but "
        "says little about who they are. Cleared when the email is changed.",
    )

    _retail_email_key_idx = _key_index("retail_email_key")
    _retail_phone_key_idx = _key_index("retail_phone_key")
    _retail_zip_phonetic_key_idx = _key_index("retail_zip_phonetic_key")
    _retail_zip_house_key_idx = _key_index("retail_zip_house_key")
    _retail_phonetic_city_key_idx = _key_index("retail_phonetic_city_key")

    def init(self):
        super().init()
        # 19.0.1.1 indexed the email and phone keys alone; the (key, id)
        # indexes above replace them.
        for column in ("retail_email_key", "retail_phone_key"):
            drop_index(self.env.cr, f"{self._table}__{column}_index", self._table)

    @api.depends(
        "email",
        "phone",
        "name",
        "is_company",
        "street",
        "street2",
        "zip",
        "city",
        "country_id",
        "company_id",
        "retail_email_relay",
    )
    def _compute_retail_identity_keys(self):
        for partner in self:
            record = partner._retail_identity_record()
            keys = blocking_keys(record)
            partner.retail_name_key = record.name_key
            for key, column in BLOCKING_COLUMNS.items():
                partner[column] = keys.get(key)

    def write(self, vals):
        if "email" in vals and "retail_email_relay" not in vals:
            # Another email than the marketplace's relay: a real one.
            vals = dict(vals, retail_email_relay=False)
        return super().write(vals)

    def _retail_identity_keys(self):
        """The matching keys of this contact: when they change, the channel
        sent something new to match it with."""
        self.ensure_one()
        return (self.retail_name_key, *(self[column] for column in BLOCKING_COLUMNS.values()))

    def _retail_identity_country(self):
        """The country national phones and postal codes of this contact are
        read with: its own, else its company's, else the current company's."""
        self.ensure_one()
        return self.country_id or self.company_id.country_id or self.env.company.country_id

    def _retail_identity_record(self):
        """Return this contact as the matcher sees it
        (:class:`~..matching.record.IdentityRecord`)."""
        self.ensure_one()
        return record_from_values(
            ref=self.id,
            is_company=self.is_company,
            name=self.name,
            email=self.email,
            phone=self.phone,
            street=self.street,
            street2=self.street2,
            zip=self.zip,
            city=self.city,
            country_code=self.country_id.code,
            default_country=self._retail_identity_country().code,
            email_is_relay=self.retail_email_relay,
        )

    @api.model
    def _retail_identity_candidates(
        self, record, company=None, exclude=None, limit=CANDIDATES_PER_KEY
    ):
        """Return the partners sharing a blocking key with ``record``: one
        indexed query per key, at most ``limit`` each (the most recent), top-level
        contacts visible to ``company``. Companies come too: the scoring says
        why a person is not one."""
        domain = [("parent_id", "=", False)]
        if company:
            domain.append(("company_id", "in", (False, company.id)))
        if exclude:
            domain.append(("id", "not in", exclude.ids))
        candidates = self.browse()
        for key, value in blocking_keys(record).items():
            column = BLOCKING_COLUMNS.get(key)
            if column:
                candidates |= self.search(
                    [(column, "=", value), *domain], order="id desc", limit=limit
                )
        return candidates

    @api.model
    def _retail_identity_frequencies(self, records, exclude=None):
        """How many active contacts (but ``exclude``) hold each email and phone
        of ``records``, and how many there are: a value many share weighs less."""
        frequencies = {"total": self._retail_identity_population()}
        for key, column, attribute in (
            ("email", "retail_email_key", "email_key"),
            ("phone", "retail_phone_key", "phone_key"),
        ):
            values = list({getattr(record, attribute) for record in records} - {None})
            if values:
                groups = self._read_group(
                    [
                        (column, "in", values),
                        ("parent_id", "=", False),
                        ("id", "not in", exclude.ids if exclude else []),
                    ],
                    [column],
                    ["__count"],
                )
                frequencies.update({(key, value): count for value, count in groups})
        return frequencies

    @api.model
    def _retail_identity_population(self):
        """How many contacts candidates are taken from: PostgreSQL's estimate
        on a large table (a count would read it all), the count on a small one."""
        self.env.cr.execute("SELECT reltuples FROM pg_class WHERE oid = 'res_partner'::regclass")
        estimate = self.env.cr.fetchone()[0]
        if estimate >= SMALL_POPULATION:
            return int(estimate)
        self.env.cr.execute("SELECT count(*) FROM res_partner WHERE active AND parent_id IS NULL")
        return self.env.cr.fetchone()[0]
