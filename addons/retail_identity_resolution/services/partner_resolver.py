from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.retail_connector_base.exceptions import TransientError
from odoo.addons.retail_connector_base.schemas import Address

from ..identity_match import IdentityMatch, email_is_relay, international_phone
from ..matching import is_strong, record_from_values, resolve
from ..models.res_partner import IDENTITY_KEY_FIELDS

# The decision _identity_resolve() took, for _lookup_partner() to follow:
# the base's _resolve() sits between the two and knows nothing of it.
DECISION_CONTEXT_KEY = "retail_identity_decision_id"
# Set while the customer is linked on weak evidence: the channel's values do
# not change the customer's form (they are kept as provisional keys).
WEAK_LINK_CONTEXT_KEY = "retail_identity_weak_link"


class RetailPartnerResolver(models.AbstractModel):
    """Identity resolution plugged into the base's customer resolution: every
    channel's customer is matched against the existing ones (``matching``),
    the decision is logged (``retail.identity.decision``), pairs to review are
    suggested and proven duplicates merged (``retail.identity.merge``)."""

    _inherit = "retail.partner.resolver"

    @api.model
    def _resolve(self, backend, customer, event=None):
        """Override of `retail_connector_base` to decide who the customer is
        (see :meth:`_identity_resolve`), then record the marketing consent the
        channel sent with it."""
        partner = self._identity_resolve(backend, customer, event=event)
        if partner and customer.consent:
            partner._retail_apply_consent(backend, customer.consent, customer.updated_at)
        return partner

    @api.model
    def _identity_resolve(self, backend, customer, event=None):
        """Decide who a new customer is (link, review or new, logged with its
        explanation and ``event``), suggest the pairs to review, and match a
        bound customer again when the channel sends more of it (an auto-link
        then merges it into the existing one)."""
        # The base claims the same; matching must see what a concurrent
        # import of the same customer created.
        binding = self._claim_customer(backend, customer)
        bound = binding._record() if binding else self.env["res.partner"]
        if bound:
            keys = bound._retail_identity_keys()
            partner = super()._resolve(backend, customer, event=event)
            if partner == bound:
                # The channel's own record of this customer: whatever the
                # form keeps, what the channel sent identifies it.
                partner._retail_add_identity_keys(
                    self._identity_record(backend, customer), backend=backend
                )
            if partner == bound and partner.active and partner._retail_identity_keys() != keys:
                partner = self._identity_rematch(backend, partner, event=event)
            return partner
        record = self._identity_record(backend, customer)
        self._identity_lock(record)
        match = self._identity_match(backend, record)
        decision = self.env["retail.identity.decision"]._log_match(
            backend, match, customer=customer, event=event
        )
        weak = match.decision == "link" and not is_strong(
            match.score, backend.identity_auto_threshold
        )
        resolver = self.with_context(
            **{DECISION_CONTEXT_KEY: decision.id, WEAK_LINK_CONTEXT_KEY: weak}
        )
        partner = super(RetailPartnerResolver, resolver)._resolve(backend, customer, event=event)
        decision.partner_id = partner
        self._identity_keep_keys(backend, partner, match, decision)
        if partner != match.partner:
            self._identity_suggest(backend, partner, match, decision, "import")
            return partner
        if match.merges:
            # After the binding is made: the merges stay undoable.
            self._identity_merge_bridged(backend, partner, match, decision)
        # Linkable too, but told apart from the customer it is.
        self._identity_suggest(backend, partner, match, decision, "import")
        return partner

    @api.model
    def _identity_keep_keys(self, backend, partner, match, decision):
        """Keep every email, phone and address the incoming customer carries
        as identity keys of ``partner`` (the form is left as the base wrote
        it). Keys of an auto-link on weak evidence are provisional: they
        attract no other customer until a person confirms the link
        (:meth:`retail.identity.decision.action_confirm_link`) or stronger
        evidence brings them again: links do not cascade."""
        linked = match.decision == "link" and partner == match.partner
        provisional = linked and not is_strong(match.score, backend.identity_auto_threshold)
        partner._retail_add_identity_keys(
            match.record, backend=backend, provisional=provisional, decision=decision
        )

    @api.model
    def _lookup_partner(self, backend, customer):
        """Override of `retail_connector_base`: the existing customer this one
        scores an auto-link with (see :meth:`_identity_match`), if any."""
        decision_id = self.env.context.get(DECISION_CONTEXT_KEY)
        if decision_id:
            decision = self.env["retail.identity.decision"].browse(decision_id)
            if decision.decision == "link":
                return decision.matched_partner_id
            return self.env["res.partner"]
        match = self._identity_match(backend, self._identity_record(backend, customer))
        if match.decision == "link":
            return match.partner
        return self.env["res.partner"]

    @api.model
    def _partner_values(self, backend, customer):
        """Override of `retail_connector_base` to remember that the email is a
        marketplace relay, and to write a phone without a country on the
        contact in international format."""
        values = super()._partner_values(backend, customer)
        if values.get("email") and email_is_relay(customer):
            values["retail_email_relay"] = True
        if values.get("phone") and not values.get("country_id"):
            # Without a country on the contact, a national number would later
            # be read with the company's: keep the one the channel meant.
            values["phone"] = international_phone(
                values["phone"], backend._get_identity_default_country()
            )
        return values

    @api.model
    def _update_partner(self, backend, partner, values):
        """Override of `retail_connector_base`: a marketplace's relay address
        never replaces a customer's own email, and a link on weak evidence
        changes none of the values customers are found by (no cascade: they
        are kept as provisional identity keys)."""
        if self.env.context.get(WEAK_LINK_CONTEXT_KEY):
            values = {
                name: value for name, value in values.items() if name not in IDENTITY_KEY_FIELDS
            }
        if values.get("retail_email_relay") and partner.email and not partner.retail_email_relay:
            values = {
                name: value
                for name, value in values.items()
                if name not in ("email", "retail_email_relay")
            }
        return super()._update_partner(backend, partner, values)

    # Matching

    @api.model
    def _identity_record(self, backend, customer):
        """Return the incoming ``customer`` as the matcher sees it."""
        address = customer.default_address or Address()
        return record_from_values(
            is_company=customer.is_company,
            name=customer.name or address.name,
            email=customer.email or address.email,
            phone=customer.phone or address.phone,
            street=address.street,
            street2=address.street2,
            zip=address.zip,
            city=address.city,
            country_code=address.country_code,
            default_country=backend._get_identity_default_country(),
            email_is_relay=email_is_relay(customer),
        )

    @api.model
    def _identity_lock(self, record):
        """Serialize the resolution of new customers sharing an email or a
        phone, whatever their channel (two channels may send the same new
        person at once), and make sure this transaction sees the customers
        such a concurrent import committed.

        The base's lock only covers one channel's customer. Odoo's snapshot
        was taken before the lock was granted, so a customer committed
        meanwhile is looked for from a fresh cursor: if there is one, the job
        is retried (TransientError) and its new snapshot links to it.
        """
        keys = sorted(
            f"retail.identity/{kind}/{value}"
            for kind, value in (
                ("email", None if record.email_is_relay else record.email_key),
                ("phone", record.phone_key),
            )
            if value
        )
        if not keys:
            return
        for key in keys:
            self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", key))
        email = None if record.email_is_relay else record.email_key
        # The form's values, and the identity keys a concurrent link kept.
        query = SQL(
            "SELECT id FROM res_partner WHERE active AND parent_id IS NULL "
            "AND (retail_email_key = %s OR retail_phone_key = %s) "
            "UNION SELECT partner_id FROM retail_identity_key "
            "WHERE NOT provisional AND ((kind = 'email' AND value = %s) "
            "OR (kind = 'phone' AND value = %s))",
            email,
            record.phone_key,
            email,
            record.phone_key,
        )
        self.env.cr.execute(query)
        seen = {row[0] for row in self.env.cr.fetchall()}
        with self.env.registry.cursor() as fresh:
            fresh.execute(query)
            committed = {row[0] for row in fresh.fetchall()}
        if committed - seen:
            raise TransientError(
                "Another import just created a customer with the same email or phone: "
                "retried to link to it"
            )

    @api.model
    def _identity_match(self, backend, record, exclude=None):
        """Score ``record`` against the existing customers sharing a blocking
        key with it (but ``exclude``) and decide with the backend's
        thresholds (:func:`~..matching.resolution.resolve`, as the accuracy
        benchmark does); return an :class:`IdentityMatch`. The base's lookup
        by email is not needed: the email is one of the keys.

        The best candidate the record links to is the customer; the others it
        links to are the same customer (a POS phone and a web email kept
        apart until a record carrying both arrives) and are merged into it,
        unless two of them are told apart: then nothing is linked and all are
        suggested."""
        Partner = self.env["res.partner"]
        candidates = Partner._retail_identity_candidates(record, backend.company_id, exclude)
        match = IdentityMatch(record=record, partner=Partner)
        if not candidates:
            return match
        # On a tie, the oldest customer is the best.
        candidates = candidates.sorted("id")
        records = candidates._retail_identity_records()
        resolution = resolve(
            record,
            [(candidate, records[candidate.id]) for candidate in candidates],
            self.env["retail.identity.field.rule"]._match_model(),
            backend.identity_auto_threshold,
            backend.identity_review_threshold,
            Partner._retail_identity_frequencies([record], exclude),
        )
        return match.apply_resolution(
            resolution, backend.identity_auto_threshold, backend.identity_review_threshold
        )

    @api.model
    def _identity_rematch(self, backend, partner, event=None):
        """Match ``partner`` (bound, just updated by the channel) again with what
        it now holds; an auto-link merges it into the customer it is. Return the
        partner the channel's record now stands for."""
        # A pair a person said is two people is never linked nor proposed again.
        rejected = self.env["retail.identity.suggestion"]._rejected_partners(partner)
        match = self._identity_match(
            backend, partner._retail_identity_record(), exclude=partner | rejected
        )
        if match.decision == "new" and not match.partner:
            return partner
        decision = self.env["retail.identity.decision"]._log_match(
            backend, match, partner=partner, event=event
        )
        if match.decision == "link":
            merge = (
                self.env["retail.identity.merge"]
                .sudo()
                ._merge_partners(
                    match.partner,
                    partner,
                    auto=True,
                    keys_provisional=not is_strong(match.score, backend.identity_auto_threshold),
                    reason=self.env._(
                        "Auto-link: %(channel)s sent more of the customer (score %(score)s).",
                        channel=backend.name,
                        score=f"{match.score.total:.1f}",
                    ),
                )
            )
            decision.write({"merge_id": merge.id, "partner_id": match.partner.id})
            self._identity_merge_bridged(backend, match.partner, match, decision)
            self._identity_suggest(backend, match.partner, match, decision, "update")
            return match.partner
        self._identity_suggest(backend, partner, match, decision, "update")
        return partner

    @api.model
    def _identity_merge_bridged(self, backend, partner, match, decision):
        """Merge into ``partner`` (the customer ``match`` linked to) the other
        customers the record links to as well (``match.merges``): auto merges,
        undoable from their record, each one a row of the decision's
        explanation. A pair a person rejected is left apart; a pair the merge
        refuses (the contact of a user...) is suggested instead."""
        rejected = self.env["retail.identity.suggestion"]._rejected_partners(partner)
        Merge = self.env["retail.identity.merge"].sudo()
        explanation = list(decision.explanation or [])
        for other, score in match.merges:
            if other in rejected or not other.active:
                continue
            reason = self.env._(
                "Auto-link: %(channel)s sent a customer (%(customer)s) who is both "
                "%(dst)s (score %(dst_score)s) and %(src)s (score %(src_score)s).",
                channel=backend.name,
                customer=match.record.name or "?",
                dst=partner.display_name,
                dst_score=f"{match.score.total:.1f}",
                src=other.display_name,
                src_score=f"{score.total:.1f}",
            )
            try:
                with self.env.cr.savepoint():
                    merge = Merge._merge_partners(
                        partner,
                        other,
                        auto=True,
                        reason=reason,
                        keys_provisional=not is_strong(score, backend.identity_auto_threshold),
                    )
            except UserError:
                self.env["retail.identity.suggestion"]._propose(
                    partner, other, source=decision.stage, backend=backend, decision=decision
                )
                continue
            explanation.append(
                {
                    # Not a field of the score: no weight of its own.
                    "field": "merged",
                    "outcome": "agree",
                    "weight": 0.0,
                    "detail": self.env._(
                        "%(src)s is the same customer too (score %(score)s): merged into "
                        "%(dst)s (%(merge)s).",
                        src=other.display_name,
                        score=f"{score.total:.1f}",
                        dst=partner.display_name,
                        merge=merge.display_name,
                    ),
                }
            )
            if not decision.merge_id:
                decision.merge_id = merge
        decision.explanation = explanation

    @api.model
    def _identity_suggest(self, backend, partner, match, decision, source):
        Suggestion = self.env["retail.identity.suggestion"]
        for candidate, _score in match.reviews:
            Suggestion._propose(
                candidate, partner, source=source, backend=backend, decision=decision
            )
