"""What a deduplication run's job does with one block of partners.

Each partner of the block is resolved among its older candidates
(``dedup_matcher``); every pair scored is counted by decision and the
"link" and "review" ones sampled for the report (``dedup_report``); then
the run acts on the resolution: with auto-link it merges the partner into
the one it is (and the others it links to, the import path's merge of
bridged customers), else it suggests the pairs for review. A dry run only
counts what it would do. The run's progress is written with the block's
counts, so both are committed together.
"""

import logging

from odoo.exceptions import UserError

from .dedup_report import add_sample
from .matching import decide
from .models.retail_identity_suggestion import CLOSED_STATES

_logger = logging.getLogger(__name__)

# What a block counts: pairs scored by decision, and what was done with them.
COUNTS = ("pair", "link", "review", "new", "known", "suggestion", "merge")


class DedupBlock:
    """One block of a ``retail.identity.dedup.run``: resolves, counts and
    acts on the block's partners."""

    def __init__(self, run):
        run.ensure_one()
        self.run = run
        self.env = run.env

    def process(self, after_id):
        """Process the partners of the block after ``after_id`` and write the
        run's progress with the block's counts; return whether partners
        remain."""
        run = self.run
        Partner = self.env["res.partner"]
        domain = [
            *run._get_partner_domain(),
            ("id", ">", after_id),
            ("id", "<=", run.max_partner_id),
        ]
        partners = Partner.search(domain, order="id", limit=run.block_size)
        if not partners:
            return False
        counts = dict.fromkeys(COUNTS, 0)
        samples = run.report.get("samples", {}) if run.report else {}
        matcher = run._get_matcher()
        for partner, resolution, known in matcher.resolve_block(partners):
            counts["known"] += known
            for candidate, score in resolution.scores:
                decision = decide(score, run.auto_threshold, run.review_threshold)
                counts["pair"] += 1
                counts[decision] += 1
                if decision != "new":
                    add_sample(samples, decision, candidate, partner, score)
            for outcome in self.apply_resolution(partner, resolution, matcher):
                counts[outcome] += 1
        run.write(
            {
                "last_partner_id": partners[-1].id,
                "partner_done": run.partner_done + len(partners),
                "block_count": run.block_count + 1,
                "pair_count": run.pair_count + counts["pair"],
                "link_count": run.link_count + counts["link"],
                "review_count": run.review_count + counts["review"],
                "new_count": run.new_count + counts["new"],
                "known_count": run.known_count + counts["known"],
                "suggestion_count": run.suggestion_count + counts["suggestion"],
                "merge_count": run.merge_count + counts["merge"],
                "report": {"samples": samples},
            }
        )
        return len(partners) == run.block_size

    def apply_resolution(self, partner, resolution, matcher):
        """Act on what ``resolve()`` decided for ``partner`` among its older
        candidates; return the counts it adds to ("known", "suggestion",
        "merge"), one per pair.

        With auto-link, a "link" merges ``partner`` into the partner it is and
        the other partners it links to into that one too (the import path's
        merge of bridged customers); a record linkable to partners told apart
        is not linked: all are suggested, as the review band. Without
        auto-link, every pair at the link or review level is suggested."""
        thresholds = (self.run.auto_threshold, self.run.review_threshold)
        if not self.run.auto_link:
            return [
                self.apply_pair(candidate, partner, score, decision)
                for candidate, score in resolution.scores
                if (decision := decide(score, *thresholds)) != "new"
            ]
        if resolution.decision != "link":
            # The review band, and the partners it links to who are told apart.
            return [
                self.apply_pair(candidate, partner, score, "review")
                for candidate, score in resolution.suggest
            ]
        best, scores = resolution.partner, dict(resolution.scores)
        outcomes = [self.apply_pair(best, partner, resolution.score, "link")]
        merged_into = best if outcomes[0] == "merge" else partner
        # Linkable too, but told apart from the one it is: suggested with it.
        outcomes += [
            self.apply_pair(other, merged_into, score, "review")
            for other, score in resolution.suggest
        ]
        if outcomes[0] != "merge":
            # Not merged (refused, or decided already): the others it links to
            # are only suggested with it.
            outcomes += [
                self.apply_pair(other, partner, scores[other], "review")
                for other in resolution.merge
            ]
            return outcomes
        merged = partner
        for other in resolution.merge:
            if not other.active:
                continue
            outcome = self.apply_pair(best, other, scores[other], "link", bridge=partner)
            outcomes.append(outcome)
            if outcome == "merge":
                merged |= other
        matcher.merged(best, merged, values_changed=not self.run.dry_run)
        return outcomes

    def apply_pair(self, partner, other, score, decision, bridge=None):
        """Suggest or merge one pair (a merge keeps ``partner``); return the
        count it adds to ("known", "suggestion", "merge"). ``bridge``: the
        partner linked to both, for a pair merged because of it."""
        Suggestion = self.env["retail.identity.suggestion"]
        known = Suggestion._find_pair(partner, other)
        if known.state in CLOSED_STATES:
            return "known"  # merged already, or rejected: never proposed again
        merge = decision == "link" and self.run.auto_link
        if known and not merge:
            return "known"
        if self.run.dry_run:
            return "merge" if merge else "suggestion"
        if merge and self.merge_pair(partner, other, score, known, bridge=bridge):
            return "merge"
        if known:
            return "known"
        older, newer = (partner, other) if partner.id < other.id else (other, partner)
        Suggestion.sudo().create(
            {
                "partner_a_id": older.id,
                "partner_b_id": newer.id,
                "score": score.total,
                "explanation": score.explain(),
                "source": "batch",
                "backend_id": self.run.backend_id.id,
            }
        )
        return "suggestion"

    def merge_pair(self, dst, src, score, suggestion, bridge=None):
        """Merge ``src`` into ``dst``; return whether it was merged (a pair
        the merge refuses, e.g. a contact and its parent, is suggested instead)."""
        if bridge:
            reason = self.env._(
                "Deduplication run %(run)s: %(bridge)s is both %(dst)s and %(src)s "
                "(score %(score)s with %(src)s).",
                run=self.run.name,
                bridge=bridge.display_name,
                dst=dst.display_name,
                src=src.display_name,
                score=f"{score.total:.1f}",
            )
        else:
            reason = self.env._(
                "Deduplication run %(run)s (score %(score)s).",
                run=self.run.name,
                score=f"{score.total:.1f}",
            )
        try:
            with self.env.cr.savepoint():
                merge = self.env["retail.identity.merge"]._merge_partners(
                    dst, src, suggestion=suggestion or None, auto=True, reason=reason
                )
        except UserError as exc:
            _logger.info("Run %s: %s not merged into %s: %s", self.run.id, src.id, dst.id, exc)
            return False
        if suggestion:
            suggestion.write({"state": "confirmed", "merge_id": merge.id})
        return True
