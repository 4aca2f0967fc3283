"""Small helpers without Odoo dependencies."""

from .exceptions import PermanentError


def field_path(location):
    """``('data', 'lines', 0, 'sku')`` -> ``'data.lines.0.sku'``."""
    return ".".join(str(part) for part in location)


def permanent_error_from_pydantic(exc, prefix=()):
    """Turn a pydantic ``ValidationError`` into a :class:`PermanentError`
    that names the first offending field and lists the others."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    message = first["msg"]
    if len(errors) > 1:
        others = "; ".join(f"{field_path((*prefix, *e['loc']))}: {e['msg']}" for e in errors[1:5])
        message = f"{message} (also: {others})"
    return PermanentError(message, path=field_path((*prefix, *first["loc"])) or None)


def format_age(delta):
    """A ``timedelta`` as a person reads an age: ``42 s``, ``5 min``, ``3 h 2 min``, ``4 days``."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{delta.days} days"


def lower_headers(headers):
    """Return a plain dict of ``headers`` with lower-cased names."""
    return {name.lower(): value for name, value in headers.items()}


# Reading channel payloads: errors name the offending field.


def join_path(*parts):
    """``join_path("lines", 0, "sku")`` -> ``"lines.0.sku"`` (empty parts skipped)."""
    return ".".join(str(part) for part in parts if part != "")


def payload_object(value, path):
    """``value`` if it is a JSON object, else a :class:`PermanentError` at ``path``."""
    if not isinstance(value, dict):
        raise PermanentError(f"expected an object, got {type(value).__name__}", path=path or None)
    return value


def payload_array(data, field, path):
    """``data[field]`` as a list (``[]`` when absent or null)."""
    value = data.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PermanentError(
            f"expected a list, got {type(value).__name__}", path=join_path(path, field)
        )
    return value
