from . import partner_resolver
from . import identity_repointer
from . import order_flow_identity
