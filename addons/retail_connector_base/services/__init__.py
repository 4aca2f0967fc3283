from . import partner_resolver
from . import order_importer
from . import tax_matcher
from . import refund_importer
