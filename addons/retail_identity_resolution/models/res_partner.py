from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import drop_index

from ..consent import CONSENT_SELECTION
from ..identity_keys import (
    IDENTIFIER_KINDS,
    MAX_CANDIDATES,
    MIN_CANDIDATE_WEIGHT,
    ROWS_PER_KEY,
    identity_keys,
)
from ..matching import blocking_keys, record_from_values

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
# The partner fields its own identity keys are read from.
IDENTITY_KEY_FIELDS = frozenset(
    {
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
        "parent_id",
    }
)
# Context key: the values written are kept as provisional identity keys.
PROVISIONAL_KEYS_CONTEXT_KEY = "retail_identity_keys_provisional"
# Partners whose keys the backfill computes at once.
BACKFILL_BATCH = 2000
# Below this many rows, counting the contacts is cheaper than it is wrong.
SMALL_POPULATION = 100_000
_CANDIDATE_WHERE = "IS NOT NULL AND parent_id IS NULL"


def _key_index(column):
    return models.Index(f"({column}, id) WHERE {column} {_CANDIDATE_WHERE}")


def _consent_field_names(channel):
    prefix = f"retail_{channel}_consent"
    return prefix, f"{prefix}_backend_id", f"{prefix}_date"


class ResPartner(models.Model):
    """A customer as identity resolution sees it: the matching keys it is
    found by, the marketing consent per channel of communication (with where
    and when it was stated; an empty source means recorded in Odoo), and the
    merges it took part in."""

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

    retail_email_consent = fields.Selection(
        CONSENT_SELECTION,
        string="Email marketing",
        help="Empty: never stated. An opt-out from any source wins over opt-ins from others.",
    )
    retail_email_consent_backend_id = fields.Many2one(
        "retail.backend",
        string="Email consent source",
        ondelete="set null",
        help="The channel that stated the email consent; empty: recorded in Odoo.",
    )
    retail_email_consent_date = fields.Datetime(string="Email consent date")
    retail_sms_consent = fields.Selection(
        CONSENT_SELECTION,
        string="SMS marketing",
        help="Empty: never stated. An opt-out from any source wins over opt-ins from others.",
    )
    retail_sms_consent_backend_id = fields.Many2one(
        "retail.backend",
        string="SMS consent source",
        ondelete="set null",
        help="The channel that stated the SMS consent; empty: recorded in Odoo.",
    )
    retail_sms_consent_date = fields.Datetime(string="SMS consent date")

    retail_identity_key_ids = fields.One2many(
        "retail.identity.key",
        "partner_id",
        string="Identity keys",
        groups="retail_connector_base.group_retail_connect_user",
        help="Every email, phone and address this customer was seen with (its form, its "
        "channels, the customers merged into it): customers are found and matched by all of "
        "them. The form's own email and phone are never changed by them.",
    )
    retail_identity_key_count = fields.Integer(
        string="Identity keys count",
        compute="_compute_retail_identity_key_count",
        groups="retail_connector_base.group_retail_connect_user",
    )

    retail_merge_count = fields.Integer(
        string="Merges",
        compute="_compute_retail_merge_count",
        groups="retail_connector_base.group_retail_connect_user",
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

    @api.depends(*sorted(IDENTITY_KEY_FIELDS - {"parent_id"}))
    def _compute_retail_identity_keys(self):
        for partner in self:
            record = partner._retail_identity_record(known=False)
            keys = blocking_keys(record)
            partner.retail_name_key = record.name_key
            for key, column in BLOCKING_COLUMNS.items():
                partner[column] = keys.get(key)

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create([self._retail_stamp_consent(dict(vals)) for vals in vals_list])
        partners._retail_add_identity_keys()
        return partners

    def write(self, vals):
        vals = self._retail_stamp_consent(dict(vals))
        if "email" in vals and "retail_email_relay" not in vals:
            # Another email than the marketplace's relay: a real one.
            vals = dict(vals, retail_email_relay=False)
        result = super().write(vals)
        if IDENTITY_KEY_FIELDS.intersection(vals):
            # An auto merge on weak evidence writes the merged customer's
            # values: new keys stay provisional (no cascade).
            self._retail_add_identity_keys(
                provisional=self.env.context.get(PROVISIONAL_KEYS_CONTEXT_KEY, False)
            )
        return result

    # Identity keys

    def _compute_retail_identity_key_count(self):
        counts = dict(
            self.env["retail.identity.key"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.retail_identity_key_count = counts.get(partner, 0)

    def _retail_add_identity_keys(
        self, record=None, backend=None, provisional=False, decision=None
    ):
        """Keep the keys of ``record`` (an incoming customer this one was
        found to be; by default the partner's own values) as this
        partner's identity keys; the values already kept are refreshed, and
        confirmed unless ``provisional``. Nothing is written on the partner."""
        rows = []
        for partner in self:
            if not record and partner.parent_id:
                # A delivery address or a contact of a company: never a candidate.
                continue
            keys = identity_keys(record or partner._retail_identity_record(known=False))
            rows += [
                {
                    "partner_id": partner.id,
                    "kind": kind,
                    "value": value,
                    "backend_id": backend.id if backend else False,
                    "provisional": provisional,
                    "decision_id": decision.id if decision else False,
                }
                for kind, value in keys
            ]
        self.env["retail.identity.key"].sudo()._upsert(rows)

    def _retail_known_identifiers(self):
        """The confirmed emails and phones these contacts are known by (their
        form's among them): ``{partner id: (emails, phones)}``, one query."""
        ids = [partner_id for partner_id in self.ids if isinstance(partner_id, int)]
        if not ids:
            return {}
        self.env["retail.identity.key"].flush_model(["partner_id", "provisional"])
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, kind, value FROM retail_identity_key "
                "WHERE partner_id = ANY(%s) AND kind IN %s AND NOT provisional",
                ids,
                IDENTIFIER_KINDS,
            )
        )
        found = {}
        for partner_id, kind, value in self.env.cr.fetchall():
            emails, phones = found.setdefault(partner_id, ([], []))
            (emails if kind == "email" else phones).append(value)
        return {partner_id: (tuple(e), tuple(p)) for partner_id, (e, p) in found.items()}

    def _retail_identity_records(self):
        """``{partner id: IdentityRecord}`` of these contacts, their known
        emails and phones read at once (see :meth:`_retail_identity_record`)."""
        known = self._retail_known_identifiers()
        return {
            partner.id: partner._retail_identity_record(known=known.get(partner.id, ((), ())))
            for partner in self
        }

    @api.model
    def _retail_backfill_identity_keys(self, batch=BACKFILL_BATCH):
        """Keep the own values of every contact as its identity keys (install,
        upgrade to 19.0.1.5.0): in batches, archived contacts included (an
        undone merge brings them back). Return how many contacts were read."""
        Partner = self.with_context(active_test=False, prefetch_fields=False)
        last_id, count = 0, 0
        while True:
            partners = Partner.search([("id", ">", last_id)], order="id", limit=batch)
            if not partners:
                return count
            partners._retail_add_identity_keys()
            last_id, count = partners[-1].id, count + len(partners)
            self.env.invalidate_all()

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

    def _retail_identity_record(self, known=True):
        """Return this contact as the matcher sees it
        (:class:`~..matching.record.IdentityRecord`). Its emails and phones
        are also those of its confirmed identity keys (``known``: ``True``
        reads them, ``False`` leaves them out, or ``(emails, phones)`` read
        already by :meth:`_retail_known_identifiers`)."""
        self.ensure_one()
        if known is True:
            known = self._retail_known_identifiers().get(self.id, ((), ()))
        emails, phones = known or ((), ())
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
            known_emails=emails,
            known_phones=phones,
        )

    @api.model
    def _retail_identity_candidates(self, record, company=None, exclude=None, limit=MAX_CANDIDATES):
        """Return the partners sharing identity keys with ``record`` (see
        ``identity_keys``) that weigh ``MIN_CANDIDATE_WEIGHT`` together, the
        ``limit`` first whose keys weigh most, each key's weight shared among
        the partners holding it (a key of one partner says more than a key of
        twenty): top-level active contacts visible to
        ``company``, provisional keys left out. One query; each key is an
        index range scan of at most ``ROWS_PER_KEY`` rows, so a key many share
        costs a bounded search. Companies come too: the scoring says why a
        person is not one."""
        keys = identity_keys(record)
        if not keys:
            return self.browse()
        conditions = [SQL("p.active"), SQL("p.parent_id IS NULL")]
        if company:
            conditions.append(SQL("(p.company_id IS NULL OR p.company_id = %s)", company.id))
        if exclude:
            conditions.append(SQL("p.id NOT IN %s", tuple(exclude.ids)))
        self.env.cr.execute(
            SQL(
                """
                SELECT hit.partner_id
                  FROM (VALUES %(keys)s) AS wanted(kind, value)
                  CROSS JOIN LATERAL (
                        -- Counted once limited: a key many share reads
                        -- ROWS_PER_KEY rows, never all of them.
                        SELECT found.*, count(*) OVER () AS shared_by
                          FROM (SELECT k.partner_id, k.weight
                                  FROM retail_identity_key k
                                  JOIN res_partner p ON p.id = k.partner_id
                                 WHERE k.kind = wanted.kind AND k.value = wanted.value
                                   AND NOT k.provisional AND %(conditions)s
                                 ORDER BY k.partner_id DESC
                                 LIMIT %(per_key)s) AS found) AS hit
                 GROUP BY hit.partner_id
                HAVING sum(hit.weight) >= %(minimum)s
                 ORDER BY sum(hit.weight / hit.shared_by) DESC, hit.partner_id DESC
                 LIMIT %(limit)s
                """,
                keys=SQL(", ").join(SQL("(%s, %s)", kind, value) for kind, value in keys),
                conditions=SQL(" AND ").join(conditions),
                per_key=ROWS_PER_KEY,
                minimum=MIN_CANDIDATE_WEIGHT,
                limit=limit,
            )
        )
        return self.browse(row[0] for row in self.env.cr.fetchall())

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

    # Merges

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

    def action_view_retail_identity_keys(self):
        """Open the identity keys of this customer (a manager removes a wrong one)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_identity_resolution.retail_identity_key_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"create": False, "default_partner_id": self.id}
        return action
