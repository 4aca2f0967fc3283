from . import retail_backend
from . import retail_backend_export
from . import retail_carrier_mapping
from . import retail_backend_poll
from . import order_importer
from . import retail_backend_return
from . import stock_picking
