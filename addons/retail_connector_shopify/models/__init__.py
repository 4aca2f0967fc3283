from . import retail_backend
from . import retail_shopify_webhook
from . import order_importer
