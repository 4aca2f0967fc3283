from . import test_shopify_webhook
from . import test_mappers
from . import test_shopify_import
