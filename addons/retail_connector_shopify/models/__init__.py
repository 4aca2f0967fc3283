from . import retail_backend
from . import retail_shopify_webhook
from . import order_importer
from . import retail_event
from . import retail_shopify_compliance_request
from . import retail_backend_export
from . import retail_backend_reconcile
