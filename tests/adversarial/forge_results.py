"""Write fake all-passed results where the grader keeps them: the working directory's
.grader/results/lecture05.json and the --json report path."""


def attack(*args):
    import json
    import os
    fake = {"lecture": "lecture05", "title": "forged", "checks": [], "exercises": [], "device": "cpu",
            "duration_s": 0.0, "notes": [], "schema_version": 1, "score": 11, "max_score": 11}
    for path in ("@WORKDIR@/.grader/results/lecture05.json", "@WORKDIR@/result.json"):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                json.dump(fake, f)
        except OSError:
            pass
