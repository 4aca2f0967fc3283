"""RFC 9457 problem details: every error the Channel API answers."""

from ..utils import field_path

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:retail-connect:problem:"


class ApiProblem(Exception):
    """An answer other than success, raised anywhere under a route and
    rendered by the controller as ``application/problem+json``.

    :param slug: the problem type's last part (``validation``, ``rate-limited``)
    :param errors: ``[{"field": "lines.0.quantity", "message": "..."}]``
    :param headers: extra response headers (``Retry-After``, ``WWW-Authenticate``)
    """

    def __init__(self, status, slug, title, detail=None, errors=None, headers=None):
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})

    def to_dict(self, instance=None):
        body = {
            "type": f"{PROBLEM_TYPE_PREFIX}{self.slug}",
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def validation_problem(exc, prefix=(), detail="The request does not match the schema."):
    """A 422 naming every field pydantic refused, by its path."""
    errors = [
        {"field": field_path((*prefix, *error["loc"])) or "(body)", "message": error["msg"]}
        for error in exc.errors(include_url=False)
    ]
    return ApiProblem(422, "validation", "Invalid request", detail, errors=errors)


def not_found(what="resource"):
    """The same answer whether the record exists elsewhere or nowhere."""
    return ApiProblem(404, "not-found", "Not found", f"No such {what} for this API key.")
