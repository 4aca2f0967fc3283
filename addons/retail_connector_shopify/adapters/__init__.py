from . import shopify
