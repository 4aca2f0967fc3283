"""Pairs of existing partners to compare, found and scored a block at a time.

A batch deduplication compares each partner of a block with the partners of
lower id that share a blocking key with it, so every pair is scored once
(when its higher id is processed). The candidates of a whole block come
from one query per blocking key (a lateral join on the key's index, at most
``candidate_limit`` per partner and key, most recent first), not from one
search per partner.
"""

from odoo.tools import SQL

from .matching import decide
from .models.res_partner import BLOCKING_COLUMNS


class DedupMatcher:
    """Finds and scores the candidate pairs of blocks of partners."""

    def __init__(self, env, auto_threshold, review_threshold, candidate_limit=20):
        self.env = env
        self.auto_threshold = auto_threshold
        self.review_threshold = review_threshold
        self.candidate_limit = candidate_limit
        self.model = env["retail.identity.field.rule"]._match_model()
        self.columns = list(BLOCKING_COLUMNS.values())

    def block_pairs(self, partners):
        """Yield ``(partner, [(candidate, score, decision), ...])`` for each
        partner of ``partners``, candidates of lower id, best score first."""
        Partner = self.env["res.partner"]
        candidates = self._candidate_ids(partners.ids)
        others = {cid for cids in candidates.values() for cid in cids} - set(partners.ids)
        everyone = partners | Partner.browse(sorted(others))
        records = {partner.id: partner._retail_identity_record() for partner in everyone}
        frequencies = self._frequencies(records.values())
        for partner in partners:
            record = records[partner.id]
            scored = []
            for candidate_id in sorted(candidates.get(partner.id, ())):
                score = self.model.score(records[candidate_id], record, frequencies)
                decision = decide(score, self.auto_threshold, self.review_threshold)
                scored.append((Partner.browse(candidate_id), score, decision))
            scored.sort(key=lambda item: -item[1].total)
            yield partner, scored

    def _candidate_ids(self, partner_ids):
        """``{partner id: {candidate ids}}``: active top-level partners of lower
        id and the same kind (person or company) and company, sharing at least
        one blocking key."""
        candidates = {}
        for column in self.columns:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT p.id, c.id
                      FROM res_partner p
                      CROSS JOIN LATERAL (
                            SELECT q.id
                              FROM res_partner q
                             WHERE q.%(column)s = p.%(column)s
                               AND q.id < p.id
                               AND q.active
                               AND q.parent_id IS NULL
                               AND q.is_company IS NOT DISTINCT FROM p.is_company
                               AND (q.company_id IS NULL OR p.company_id IS NULL
                                    OR q.company_id = p.company_id)
                             ORDER BY q.id DESC
                             LIMIT %(limit)s
                      ) c
                     WHERE p.id = ANY(%(ids)s) AND p.%(column)s IS NOT NULL
                    """,
                    column=SQL.identifier(column),
                    limit=self.candidate_limit,
                    ids=list(partner_ids),
                )
            )
            for partner_id, candidate_id in self.env.cr.fetchall():
                candidates.setdefault(partner_id, set()).add(candidate_id)
        return candidates

    def _frequencies(self, records):
        """How many partners hold each email and phone of ``records``."""
        return self.env["res.partner"]._retail_identity_frequencies(list(records))
