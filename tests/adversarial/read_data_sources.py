"""Look for the sources of the hidden evaluation splits: Debian's data-set folders, the folder a
full-size data set is read from, the grader's data cache."""


def attack(*args):
    import os
    found = []
    for place in ("/usr/share/datasets", "@CACHE@", "@FASHION@"):
        try:
            names = os.listdir(place)
        except OSError:
            continue
        if names:
            found.append(f"{place}: {sorted(names)[:3]}")
    if found:
        raise RuntimeError("FOUND " + "; ".join(found))
    raise RuntimeError("nothing found")
