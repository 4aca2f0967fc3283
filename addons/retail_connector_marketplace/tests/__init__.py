from . import test_mirakl_adapter
from . import test_mappers
from . import test_outbound
from . import test_acceptance
from . import test_drift
from . import test_order_flow
from . import test_breaker
