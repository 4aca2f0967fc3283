from . import normalize
from . import models
