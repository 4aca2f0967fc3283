from . import retail_backend
from . import retail_event
from . import retail_order_importer
from . import retail_shopify_compliance_request
from . import retail_shopify_webhook
