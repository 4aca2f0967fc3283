"""A backend's configuration as plain, immutable values.

The webhook controller works from this snapshot (cached per worker, dropped
whenever a backend changes) instead of ORM records: it is on the hot path of
every delivery. Adapters read it like a backend record (``settings.code``,
``settings.webhook_secret``...).
"""


class BackendSettings:
    __slots__ = ("_values",)

    def __init__(self, values):
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        raise AttributeError("backend settings are read-only")

    def __repr__(self):
        return f"<BackendSettings {self._values.get('id')} {self._values.get('code')}>"
