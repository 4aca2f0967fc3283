from . import retail_backend
from . import retail_backend_polling
from . import retail_backend_reconciliation
from . import retail_backend_exports
from . import retail_event
from . import retail_order_importer
from . import retail_shopify_compliance_request
from . import retail_shopify_webhook
