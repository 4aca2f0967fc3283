from . import partner_resolver
from . import identity_repointer
