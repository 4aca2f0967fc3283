from . import test_shopify_webhook
