from . import test_normalize
