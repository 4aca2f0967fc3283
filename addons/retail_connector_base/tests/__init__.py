from . import test_adapters
from . import test_order_import
from . import test_outbox
from . import test_refund_import
from . import test_backend
from . import test_event_processing
from . import test_security
from . import test_webhook_controller
