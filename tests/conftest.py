import os
import sys
from pathlib import Path

from hypothesis import settings

# Tests import their shared helpers as `from helpers import ...`.
sys.path.insert(0, str(Path(__file__).parent))

# Property-based tests (Hypothesis): a few hundred examples each by default, fast enough for
# every run; NUMPY_MLP_HYPOTHESIS_EXAMPLES=5000 (say) asks for a longer search.
settings.register_profile("numpy-mlp", max_examples=int(os.environ.get("NUMPY_MLP_HYPOTHESIS_EXAMPLES", "200")),
                          deadline=None, print_blob=True)
settings.load_profile("numpy-mlp")
