"""grader: the autograder of the PyTorch practice course (PyTorch深度学习实践)."""

__version__ = "0.1.0"
