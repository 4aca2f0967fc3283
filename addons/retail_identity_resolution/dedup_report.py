"""The report of a deduplication run: its sample pairs and its HTML table.
Plain Python: labels come translated from the caller (see ``explanation``)."""

from markupsafe import Markup

# Sample pairs kept per decision ("link", "review").
SAMPLES_PER_DECISION = 10


def add_sample(samples, decision, older, newer, score):
    """Keep the pair ``older``/``newer`` (partners) and its ``score`` among the
    samples of ``decision``, up to ``SAMPLES_PER_DECISION``."""
    bucket = samples.setdefault(decision, [])
    if len(bucket) >= SAMPLES_PER_DECISION:
        return
    bucket.append(
        {
            "partner_ids": [older.id, newer.id],
            "names": [older.display_name, newer.display_name],
            "score": round(score.total, 2),
            "blocked": score.blocked,
            "explanation": score.explain(),
        }
    )


def render_report(counts, samples, titles, headers):
    """Return the run's report: the table of ``counts`` (``[(label, value)]``),
    then per decision of ``titles`` (``{decision: title}``, in order) its
    sample pairs, in a table whose four columns ``headers`` names."""
    html = Markup('<table class="table table-sm o_retail_dedup_counts"><tbody>')
    for label, value in counts:
        html += Markup("<tr><td>%s</td><td class='text-end'>%s</td></tr>") % (label, value)
    html += Markup("</tbody></table>")
    for decision, title in titles.items():
        if not samples.get(decision):
            continue
        html += Markup("<h4>%s</h4>") % title
        html += Markup(
            '<table class="table table-sm"><thead><tr><th>%s</th><th>%s</th>'
            "<th class='text-end'>%s</th><th>%s</th></tr></thead><tbody>"
        ) % tuple(headers)
        for sample in samples[decision]:
            why = "; ".join(
                f"{item.get('field')}: {item.get('outcome')} ({item.get('weight', 0):+.1f})"
                for item in sample.get("explanation") or []
            )
            if sample.get("blocked"):
                why = f"{sample['blocked']}. {why}"
            html += Markup(
                "<tr><td>%s</td><td>%s</td><td class='text-end'>%s</td><td>%s</td></tr>"
            ) % (*sample["names"], sample["score"], why)
        html += Markup("</tbody></table>")
    return html
