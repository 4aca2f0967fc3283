from . import shopify_backfill
