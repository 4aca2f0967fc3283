from . import shopify_backfill
from . import shopify_refund
from . import order_flow_risk
