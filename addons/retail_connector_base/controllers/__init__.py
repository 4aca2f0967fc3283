from . import webhook
from . import api_v1
from . import metrics
