import sys
from pathlib import Path

# Tests import their shared helpers as `from helpers import ...`.
sys.path.insert(0, str(Path(__file__).parent))
