from . import test_mirakl_adapter
from . import test_mappers
