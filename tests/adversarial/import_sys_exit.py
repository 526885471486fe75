"""sys.exit(0) while the worker imports the learner's files."""
import sys

sys.exit(0)
