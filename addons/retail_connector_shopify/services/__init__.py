from . import shopify_backfill
from . import shopify_refund
