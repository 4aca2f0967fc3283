from . import test_lookup
from . import test_normalize
from . import test_resolver
from . import test_suggestion
from . import test_merge
from . import test_consent
from . import test_matching
from . import test_dedup_run
