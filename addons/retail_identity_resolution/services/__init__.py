from . import partner_resolver
from . import identity_repointer
from . import api_customer_lookup
from . import order_flow_identity
