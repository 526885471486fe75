"""Renderers: each takes the result model (``grader.results``) and nothing else."""
