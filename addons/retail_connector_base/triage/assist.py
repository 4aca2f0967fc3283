"""Suggestions for a new failure group from the groups people resolved
before: nearest neighbours over their fingerprints and messages (TF-IDF
weighted character n-grams and words, cosine similarity), computed here;
nothing is sent anywhere.

The fixes people recorded are the labels: a vote of the closest resolved
groups names the likely cause, the fix and the team; below a confidence
threshold there is no suggestion (a kind never seen). A correction is an
example like any other, counted twice: a person disagreed with the
suggestion, and the next similar group should hear it.
"""

import itertools
import math
import re
from collections import Counter, defaultdict
from typing import NamedTuple

DEFAULT_THRESHOLD = 0.35
NEIGHBOURS = 5
CORRECTION_WEIGHT = 2.0
NGRAM_SIZES = (3, 4, 5)
# Placeholders of the fingerprint ("<n>", "<value>") say nothing of the kind.
_PLACEHOLDER = re.compile(r"<\w+>")
_WORD = re.compile(r"[a-z][a-z0-9_]+")


class Example(NamedTuple):
    """A resolved group: what failed and what a person said fixed it."""

    ref: int
    text: str
    cause: str
    fix: str
    team: int | None = None
    weight: float = 1.0


class Suggestion(NamedTuple):
    cause: str
    fix: str
    team: int | None
    confidence: float
    refs: tuple  # the resolved groups behind it, closest first


def assist_text(kind, pattern, example=None, topics=None):
    """What the assistant compares of a group: its kind, its message's
    pattern, one message as raised (field names, products) and topics."""
    return "\n".join(filter(None, [kind, pattern, example, topics]))


def features(text):
    """Term counts of ``text``: its words, pairs of words and the character
    n-grams of each word (robust to plural, tense and field names)."""
    words = _WORD.findall(_PLACEHOLDER.sub(" ", (text or "").lower()))
    terms = Counter(f"w:{word}" for word in words)
    terms.update(f"b:{a}_{b}" for a, b in itertools.pairwise(words))
    for word in words:
        padded = f" {word} "
        for size in NGRAM_SIZES:
            terms.update(f"c:{padded[i : i + size]}" for i in range(len(padded) - size + 1))
    return terms


def _normalized_fix(fix):
    return " ".join((fix or "").lower().split())


class NearestFixes:
    """Nearest resolved groups of a text, and the fix they vote for.

    :param examples: :class:`Example` values
    :param threshold: the confidence under which nothing is suggested
    """

    def __init__(self, examples, threshold=DEFAULT_THRESHOLD, neighbours=NEIGHBOURS):
        self.examples = [e for e in examples if (e.fix or "").strip()]
        self.threshold = threshold
        self.neighbours = neighbours
        counts = [features(e.text) for e in self.examples]
        documents = Counter(term for terms in counts for term in terms)
        total = len(counts)
        # Smoothed inverse document frequency: terms every group shares
        # ("order", "the") weigh little, a field name or an error kind much.
        self.idf = {
            term: math.log((1 + total) / (1 + count)) + 1 for term, count in documents.items()
        }
        self.unseen_idf = math.log(1 + total) + 1
        self.vectors = [self._vector(terms) for terms in counts]

    def _vector(self, terms):
        vector = {
            term: (1 + math.log(count)) * self.idf.get(term, self.unseen_idf)
            for term, count in terms.items()
        }
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {term: v / norm for term, v in vector.items()}

    def similarities(self, text):
        """``[(similarity, example)]`` closest first."""
        query = self._vector(features(text))
        scored = []
        for example, vector in zip(self.examples, self.vectors, strict=True):
            small, large = (query, vector) if len(query) < len(vector) else (vector, query)
            score = sum(v * large.get(term, 0.0) for term, v in small.items())
            if score > 0:
                scored.append((score, example))
        scored.sort(key=lambda pair: (-pair[0], -pair[1].ref))
        return scored

    def suggest(self, text):
        """The :class:`Suggestion` for ``text``, or ``None`` when no
        resolved group is close enough (confidence below the threshold).

        Confidence: the similarity of the closest group voting for the
        winning fix, times the winning fix's share of the neighbours' votes
        (similarity times weight), so an unfamiliar text and a split vote
        both lower it.
        """
        nearest = self.similarities(text)[: self.neighbours]
        if not nearest:
            return None
        votes = defaultdict(float)
        for score, example in nearest:
            votes[_normalized_fix(example.fix)] += score * example.weight
        winner = max(votes, key=votes.get)
        backers = [(s, e) for s, e in nearest if _normalized_fix(e.fix) == winner]
        confidence = backers[0][0] * votes[winner] / sum(votes.values())
        if confidence < self.threshold:
            return None
        teams = defaultdict(float)
        for score, example in backers:
            if example.team:
                teams[example.team] += score * example.weight
        best = backers[0][1]
        return Suggestion(
            cause=best.cause,
            fix=best.fix,
            team=max(teams, key=teams.get) if teams else None,
            confidence=round(min(confidence, 1.0), 3),
            refs=tuple(e.ref for _s, e in backers),
        )
