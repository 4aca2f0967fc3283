from . import test_shopify_webhook
from . import test_mappers
from . import test_shopify_import
from . import test_compliance
from . import test_compliance_mapping
from . import test_compliance_requests
from . import test_mappers_graphql
from . import test_reconciliation
