from . import webhook
from . import api_v1
