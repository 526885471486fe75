"""os._exit(0) while the worker imports the learner's files: no exception, the process is gone."""
import os

os._exit(0)
