from . import normalize
from . import models
from . import services
