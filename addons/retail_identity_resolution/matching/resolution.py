"""What an incoming customer is, given the partners its blocking keys found.

Shared by the resolver and the accuracy benchmark, so that the figures are
the resolver's.
"""

from dataclasses import dataclass

from .scoring import BLOCKED_NAME_ONLY, decide

# Why two candidates may not be linked alone that does not tell them apart:
# nothing but their names to compare (a POS phone, a web email).
NOT_TOLD_APART = frozenset({None, BLOCKED_NAME_ONLY})
# Fields that say who the customer is: one agreeing picks a candidate out
# of several told apart.
IDENTIFIER_FIELDS = frozenset({"email", "phone"})


@dataclass(frozen=True)
class Resolution:
    """The outcome of :func:`resolve`.

    ``decision``: "link" (bind to ``partner``), "review" or "new" (create a
    partner). ``merge``: other partners the record proves to be ``partner``
    (it links to each of them: a POS phone and a web email typed apart until
    now). ``suggest``: ``(candidate, score)`` pairs for the review queue (on
    a link: the candidates it links to as well who are told apart from
    ``partner``).
    ``scores``: every ``(candidate, score)``, best first.
    """

    decision: str
    partner: object = None
    score: object = None
    merge: tuple = ()
    suggest: tuple = ()
    scores: tuple = ()


def resolve(record, candidates, model, auto_threshold, review_threshold, frequencies=None):
    """Decide what ``record`` is among ``candidates``: ``(ref, IdentityRecord)``
    pairs (the partners found by blocking keys).

    The best-scoring candidate that reaches "link" is the partner. Every
    other candidate that reaches "link" too is merged into it, unless the two
    candidates are told apart (their own comparison is blocked: different
    emails or phones, different names; having nothing but a name to compare
    is not that): then the record fits two different people, nothing is
    linked and both are suggested; but when the record's email or phone
    agrees with the best one's and with none of theirs, it is the best one
    (a father's parcel with his email, his son of the same name at the same
    address): linked, the others suggested.
    """
    scored = []
    for ref, candidate in candidates:
        score = model.score(record, candidate, frequencies)
        scored.append((ref, candidate, score, decide(score, auto_threshold, review_threshold)))
    scored.sort(key=lambda item: -item[2].total)
    scores = tuple((ref, score) for ref, _c, score, _d in scored)
    links = [item for item in scored if item[3] == "link"]
    reviews = tuple((ref, score) for ref, _c, score, decision in scored if decision == "review")
    if links:
        best_ref, best, best_score, _decision = links[0]
        merge, apart = [], []
        for ref, candidate, score, _decision in links[1:]:
            if model.score(best, candidate).blocked not in NOT_TOLD_APART:
                apart.append((ref, score))
            else:
                merge.append(ref)
        if apart and not (
            _identified(best_score) and not any(_identified(score) for _r, score in apart)
        ):
            ambiguous = tuple((r, s) for r, _c, s, _d in links)
            return Resolution("review", None, best_score, (), ambiguous + reviews, scores)
        return Resolution("link", best_ref, best_score, tuple(merge), tuple(apart), scores)
    best_score = scored[0][2] if scored else None
    return Resolution("review" if reviews else "new", None, best_score, (), reviews, scores)


def _identified(score):
    """Whether an email or phone of the pair agrees (and weighs for it)."""
    return any(
        c.field in IDENTIFIER_FIELDS and c.outcome == "agree" and c.weight > 0
        for c in score.contributions
    )
