from . import mirakl_acceptance
from . import mirakl_shipment
from . import order_flow_acceptance
