from .base import ChannelAdapter, EventValues, get_adapter_class, register_adapter
from . import none
from . import generic

__all__ = ["ChannelAdapter", "EventValues", "get_adapter_class", "register_adapter"]
