"""Batch deduplication decided as the import path decides.

The partners of a block are taken in id order; each one is resolved with
:func:`~.matching.resolution.resolve` against the older partners the
resolver would find for it (``res.partner._retail_identity_candidates``: the
identity-key table searched by its keys, ``ROWS_PER_KEY`` most recent rows
per key, the ``MAX_CANDIDATES`` whose keys weigh most and at least
``MIN_CANDIDATE_WEIGHT``, top-level partners of its company), as if it
arrived now: the best partner it links to is the one it
is, the others it links to are merged into that one unless two of them are
told apart (then nothing is linked and all are suggested). No pair is
linked alone, so a chain A~B, B~C never joins A and C that are told apart.

The candidates of a whole block come from one query (a lateral join on the
key table's index per key), not from one search per partner; the merges
done while the block is processed (a partner merged into an older one, who
gains the merged one's keys and its new values') are applied to those
candidate lists and to the email and phone frequencies in memory, so each partner sees the
partners as they are when its turn comes. The accuracy benchmark
(``tests/bench/identity/evaluate.py``, ``resolve_batch``) runs the same
steps on plain records.
"""

from odoo.tools import SQL

from .identity_keys import MAX_CANDIDATES, ROWS_PER_KEY, identity_keys, rank_candidates
from .matching import resolve

# Rows fetched per partner and key beyond the resolver's: room for the
# partners archived by the merges of the block.
CANDIDATE_SLACK = ROWS_PER_KEY
FREQUENCY_KEYS = (("email", "email_key"), ("phone", "phone_key"))


class DedupMatcher:
    """Resolves the partners of blocks one after the other."""

    def __init__(self, env, auto_threshold, review_threshold, candidate_limit=MAX_CANDIDATES):
        self.env = env
        self.auto_threshold = auto_threshold
        self.review_threshold = review_threshold
        self.candidate_limit = candidate_limit
        self.model = env["retail.identity.field.rule"]._match_model()
        # Reset by each block.
        self.records = {}  # partner id -> IdentityRecord as it is now
        self.archived = set()  # merged away during the block
        # Merged into during the block: {id: the identity keys it holds now},
        # and the other way round {(kind, value): ids}.
        self.changed = {}
        self.changed_index = {}
        self.frequencies = {}
        self.candidate_lists = {}
        self.rejected = {}
        self.counted = set()

    def resolve_block(self, partners):
        """Yield ``(partner, resolution, known)`` for each partner of
        ``partners`` (in id order): its :class:`~.matching.Resolution` among
        its older candidates, and ``known`` the candidates left out because
        a person rejected the pair. Before asking for the next partner, the
        caller reports the merges it made with :meth:`merged`."""
        Partner = self.env["res.partner"]
        partners = partners.sorted("id")
        self.archived, self.changed, self.changed_index = set(), {}, {}
        # The block's partners first: their keys are searched by.
        self.records = partners._retail_identity_records()
        self.candidate_lists = self._candidate_lists(partners.ids)
        self.rejected = self._rejected_pairs(partners.ids)
        others = {cid for ids in self.candidate_lists.values() for cid in ids}
        others |= {rid for ids in self.rejected.values() for rid in ids}
        others = Partner.browse(sorted(others - set(partners.ids)))
        self.records.update(others._retail_identity_records())
        everyone = partners | others
        # The partners the frequencies count.
        self.counted = {
            partner.id for partner in everyone if partner.active and not partner.parent_id
        }
        self.frequencies = Partner._retail_identity_frequencies(
            [self.records[pid] for pid in partners.ids]
        )
        for partner in partners:
            if partner.id in self.archived:
                continue
            candidate_ids, known = self._candidates(partner.id)
            record = self.records[partner.id]
            resolution = resolve(
                record,
                [(Partner.browse(cid), self.records[cid]) for cid in candidate_ids],
                self.model,
                self.auto_threshold,
                self.review_threshold,
                self._frequencies_of(partner.id),
            )
            yield partner, resolution, known

    def merged(self, dst, srcs, values_changed=True):
        """``srcs`` were merged into ``dst`` (a dry run passes
        ``values_changed=False``: nobody is written, the sources only leave the
        candidates)."""
        for src in srcs:
            if src.id in self.archived:
                continue
            self.archived.add(src.id)
            self._count(src.id, -1)
            self.frequencies["total"] = self.frequencies.get("total", 1) - 1
        if not values_changed:
            return
        self._count(dst.id, -1)
        dst.invalidate_recordset()
        self.records[dst.id] = dst._retail_identity_record()
        self._count(dst.id, +1)
        # Its own keys, those of the partners merged into it among them.
        keys = self.changed[dst.id] = self._held_keys(dst.id)
        for key in keys:
            self.changed_index.setdefault(key, set()).add(dst.id)

    def _count(self, partner_id, sign):
        """Move the email and phone counts held for ``partner_id``'s values."""
        record = self.records.get(partner_id)
        if record is None:
            return
        for kind, attribute in FREQUENCY_KEYS:
            value = getattr(record, attribute)
            if value and (kind, value) in self.frequencies:
                self.frequencies[(kind, value)] += sign

    def _frequencies_of(self, partner_id):
        """The frequencies ``partner_id`` is resolved with: the partners but
        itself and those a person said it is not, as the resolver counts for
        a bound customer matched again."""
        record = self.records[partner_id]
        frequencies = {"total": self.frequencies.get("total", 0)}
        holders = [partner_id, *self.rejected.get(partner_id, ())]
        for kind, attribute in FREQUENCY_KEYS:
            value = getattr(record, attribute)
            if not value:
                continue
            count = self.frequencies.get((kind, value), 0)
            for holder in holders:
                held = self.records.get(holder)
                if (
                    held
                    and getattr(held, attribute) == value
                    and holder in self.counted
                    and holder not in self.archived
                ):
                    count -= 1
            frequencies[(kind, value)] = max(count, 0)
        return frequencies

    def _candidates(self, partner_id):
        """(candidate ids in id order, count of rejected ones left out): the
        key-table search of the resolver (``_retail_identity_candidates``)
        among the active partners of lower id holding the keys now."""
        rejected = self.rejected.get(partner_id, set())
        rows_per_key = {}
        for key in identity_keys(self.records[partner_id]):
            # fetched at the start of the block, but those merged away since...
            ids = {
                cid
                for cid in self.candidate_lists.get((partner_id, *key), ())
                if cid not in self.archived
            }
            # ...and those merged into who hold it now
            ids.update(
                cid
                for cid in self.changed_index.get(key, ())
                if cid < partner_id and cid not in self.archived
            )
            rows_per_key[key] = sorted(ids, reverse=True)[:ROWS_PER_KEY]
        found = set(rank_candidates(rows_per_key, self.candidate_limit))
        return sorted(found - rejected), len(found & rejected)

    def _candidate_lists(self, partner_ids):
        """``{(partner id, kind, value): [candidate ids]}``: per identity key of
        each partner, the active top-level partners of lower id and of the
        partner's company (or none) holding it confirmed, most recent first,
        as the resolver's search (``res.partner._retail_identity_candidates``,
        with room for the partners merged away meanwhile); companies come
        too, the scoring tells a person from a company."""
        self.env["res.partner"].flush_model()
        self.env["retail.identity.key"].flush_model()
        wanted = [
            SQL("(%s, %s, %s)", partner_id, kind, value)
            for partner_id in partner_ids
            for kind, value in identity_keys(self.records[partner_id])
        ]
        if not wanted:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT wanted.partner_id, wanted.kind, wanted.value, c.partner_id
                  FROM (VALUES %(wanted)s) AS wanted(partner_id, kind, value)
                  JOIN res_partner p ON p.id = wanted.partner_id
                  CROSS JOIN LATERAL (
                        SELECT k.partner_id
                          FROM retail_identity_key k
                          JOIN res_partner q ON q.id = k.partner_id
                         WHERE k.kind = wanted.kind AND k.value = wanted.value
                           AND NOT k.provisional
                           AND k.partner_id < wanted.partner_id
                           AND q.active
                           AND q.parent_id IS NULL
                           AND (q.company_id IS NULL OR p.company_id IS NULL
                                OR q.company_id = p.company_id)
                         ORDER BY k.partner_id DESC
                         LIMIT %(limit)s
                  ) c
                 ORDER BY wanted.partner_id, c.partner_id DESC
                """,
                wanted=SQL(", ").join(wanted),
                limit=ROWS_PER_KEY + CANDIDATE_SLACK,
            )
        )
        lists = {}
        for partner_id, kind, value, candidate_id in self.env.cr.fetchall():
            lists.setdefault((partner_id, kind, value), []).append(candidate_id)
        return lists

    def _held_keys(self, partner_id):
        """The confirmed identity keys ``partner_id`` holds now."""
        self.env["retail.identity.key"].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT kind, value FROM retail_identity_key "
                "WHERE partner_id = %s AND NOT provisional",
                partner_id,
            )
        )
        return set(self.env.cr.fetchall())

    def _rejected_pairs(self, partner_ids):
        """``{partner id: {ids of the partners a person said it is not}}``."""
        self.env["retail.identity.suggestion"].flush_model(
            ["state", "partner_a_id", "partner_b_id"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_a_id, partner_b_id
                  FROM retail_identity_suggestion
                 WHERE state = 'rejected'
                   AND (partner_a_id = ANY(%(ids)s) OR partner_b_id = ANY(%(ids)s))
                """,
                ids=list(partner_ids),
            )
        )
        rejected = {}
        for a, b in self.env.cr.fetchall():
            rejected.setdefault(a, set()).add(b)
            rejected.setdefault(b, set()).add(a)
        return rejected
