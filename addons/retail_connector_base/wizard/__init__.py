from . import retail_outbox_discard_wizard
from . import retail_event_edit_wizard
from . import retail_exception_ignore_wizard
from . import retail_exception_resolve_wizard
