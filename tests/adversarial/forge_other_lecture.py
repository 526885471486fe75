"""Write a fake result for a lecture not being graded now (lecture06), which no later write of
the grader would overwrite."""


def attack(*args):
    import json
    import os
    path = "@WORKDIR@/.grader/results/lecture06.json"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump({"lecture": "lecture06", "title": "forged", "checks": [], "score": 99, "max_score": 99}, f)
    except OSError:
        pass
