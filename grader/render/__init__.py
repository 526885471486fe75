"""Renderers of the result model (``grader.results``), one module per format, and the registry of
file formats with the one function that writes them (``grader.render.export.write``).  The file
renderers take a ``SubmissionResult`` or a ``ClassResult``; ``terminal`` shows one
``LectureResult`` in the learner's terminal."""
