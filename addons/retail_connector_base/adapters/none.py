from ..exceptions import SignatureError
from .base import ChannelAdapter, register_adapter


@register_adapter
class NoChannelAdapter(ChannelAdapter):
    """A backend without a channel: it authenticates nothing (fail closed)."""

    code = "none"

    def verify_webhook(self, headers, body):
        raise SignatureError("this backend has no channel configured")
