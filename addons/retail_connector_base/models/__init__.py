from . import retail_backend
from . import retail_binding
from . import retail_event
from . import retail_order_refund
from . import res_partner
from . import sale_order
from . import sale_order_line
