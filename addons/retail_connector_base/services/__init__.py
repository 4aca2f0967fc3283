from . import partner_resolver
from . import order_line_builder
from . import order_total_checker
from . import order_importer
from . import tax_matcher
from . import refund_importer
from . import customer_privacy
from . import customer_exporter
