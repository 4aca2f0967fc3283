from . import test_lookup
from . import test_normalize
