from . import retail_outbox_discard_wizard
