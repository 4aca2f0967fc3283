from . import mirakl_acceptance
from . import mirakl_shipment
