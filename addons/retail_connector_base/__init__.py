from . import adapters
from . import controllers
from . import models
from . import services
from . import wizard
