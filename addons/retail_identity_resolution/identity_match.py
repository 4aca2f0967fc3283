"""What the resolver makes of one incoming customer: plain Python, no ORM.

:class:`IdentityMatch` turns :func:`~.matching.resolution.resolve`'s outcome
into what the resolver acts on (link, review or new; merges; suggestions);
the helpers read what the channel says of the customer's email and phone.
"""

from dataclasses import dataclass, field

import phonenumbers

from .matching import decide
from .normalize import normalize_email, normalize_phone

# The key of Customer.extra by which a channel says the email is a relay of
# the marketplace operator (retail_connector_marketplace.mappers.RELAY_EMAIL_KEY;
# this module does not depend on the marketplace).
RELAY_EMAIL_KEY = "email_relay"
# Pairs proposed for review per decision, best first.
MAX_SUGGESTIONS = 5


@dataclass
class IdentityMatch:
    """The outcome of matching one record against its candidates."""

    record: object
    decision: str = "new"
    partner: object = None  # the best candidate (res.partner), empty if none
    score: object = None  # its matching.Score
    candidate_count: int = 0
    reviews: list = field(default_factory=list)  # [(partner, Score)] in the review band
    # Other candidates the record links to as well: the same customer as
    # ``partner``, merged into it ([(partner, Score)]).
    merges: list = field(default_factory=list)
    # Candidates the record links to who are told apart: nothing is linked.
    ambiguous: list = field(default_factory=list)

    def apply_resolution(self, resolution, auto_threshold, review_threshold):
        """Take the decision of ``resolution`` (a :class:`~.matching.Resolution`
        with at least one score): the best candidate it links to is the
        customer and the others it links to are merged into it (those told
        apart from it are ``reviews``); otherwise the
        candidates it links to who are told apart are ``ambiguous`` and the
        best ``MAX_SUGGESTIONS`` of the review band are ``reviews``."""
        self.decision = resolution.decision
        self.candidate_count = len(resolution.scores)
        self.partner, self.score = resolution.scores[0]
        scores = dict(resolution.scores)
        if resolution.decision == "link":
            self.partner, self.score = resolution.partner, resolution.score
            self.merges = [(partner, scores[partner]) for partner in resolution.merge]
            # Linkable too but told apart from it: a person says.
            self.reviews = list(resolution.suggest[:MAX_SUGGESTIONS])
            return self
        # Linkable to several customers who are told apart.
        self.ambiguous = [
            (partner, score)
            for partner, score in resolution.suggest
            if decide(score, auto_threshold, review_threshold) == "link"
        ]
        self.reviews = list(resolution.suggest[:MAX_SUGGESTIONS])
        return self


def email_is_relay(customer):
    """Whether the canonical ``customer``'s email is a marketplace's relay."""
    if not customer.extra.get(RELAY_EMAIL_KEY):
        return False
    relay = customer.extra.get("relay_email")
    return not relay or normalize_email(relay) == normalize_email(customer.email)


def international_phone(phone, country_code):
    """``phone`` in international format (``+33 6 12 34 56 78``) when it reads
    as a possible number with ``country_code``, else as it is."""
    e164 = normalize_phone(phone, country_code)
    if not e164:
        return phone
    return phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
