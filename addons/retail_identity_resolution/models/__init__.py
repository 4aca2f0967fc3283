from . import res_partner
from . import partner_resolver
