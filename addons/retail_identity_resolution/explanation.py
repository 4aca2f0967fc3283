"""A score's explanation (``Score.explain()`` rows) as an HTML table, for the
decision and suggestion forms. Pure: labels come translated from the caller."""

from markupsafe import Markup

OUTCOME_BADGES = {
    "agree": "text-bg-success",
    "close": "text-bg-info",
    "partial": "text-bg-warning",
    "weak": "text-bg-warning",
    "disagree": "text-bg-danger",
    "missing": "text-bg-light",
}
BLOCKED_ROW = "blocked"


def render_explanation(rows, field_labels, outcome_labels, headers):
    """Return the table of ``rows`` (dicts with ``field``, ``outcome``,
    ``weight``, ``detail``); ``headers`` names its four columns."""
    if not rows:
        return Markup()
    body = Markup()
    for row in rows:
        field = row.get("field")
        outcome = row.get("outcome") or ""
        if field == BLOCKED_ROW:
            body += Markup(
                '<tr class="table-warning"><td><strong>%s</strong></td><td colspan="3">%s</td></tr>'
            ) % (field_labels.get(field, field), row.get("detail") or outcome)
            continue
        weight = float(row.get("weight") or 0.0)
        body += Markup(
            '<tr><td>%s</td><td><span class="badge rounded-pill %s">%s</span></td>'
            '<td class="text-end font-monospace %s">%s</td><td>%s</td></tr>'
        ) % (
            field_labels.get(field, field),
            OUTCOME_BADGES.get(outcome, "text-bg-secondary"),
            outcome_labels.get(outcome, outcome),
            "text-success" if weight > 0 else ("text-danger" if weight < 0 else "text-muted"),
            f"{weight:+.1f}",
            row.get("detail") or "",
        )
    head = Markup("").join(Markup("<th>%s</th>") % header for header in headers)
    return Markup(
        '<table class="table table-sm o_retail_identity_explanation">'
        "<thead><tr>%s</tr></thead><tbody>%s</tbody></table>"
    ) % (head, body)
