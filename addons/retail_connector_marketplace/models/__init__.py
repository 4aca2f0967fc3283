from . import retail_backend
from . import retail_carrier_mapping
from . import retail_order_importer
from . import sale_order
from . import stock_picking
from . import retail_order_step
from . import retail_backend_flow
