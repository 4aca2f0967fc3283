from . import test_mirakl_adapter
