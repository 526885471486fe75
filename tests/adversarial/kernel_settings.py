"""Change the machine: write a kernel setting (the current value of /proc/sys/vm/swappiness, back
into it, so that a success changes nothing) and create a device file in /dev.  As host root without
a sandbox both work; inside the sandbox both must be refused, and the code must not be root."""


def attack(*args):
    import os
    done = []
    try:
        with open("/proc/sys/vm/swappiness") as f:
            value = f.read()
        with open("/proc/sys/vm/swappiness", "w") as f:
            f.write(value)
        done.append("WROTE /proc/sys/vm/swappiness")
    except OSError as exc:
        done.append(f"refused /proc/sys ({exc.strerror})")
    try:
        with open("/dev/grader-attack", "w"):
            pass
        os.unlink("/dev/grader-attack")
        done.append("WROTE /dev")
    except OSError as exc:
        done.append(f"refused /dev ({exc.strerror})")
    done.append("AS ROOT" if os.geteuid() == 0 else f"as uid {os.geteuid()}")
    raise RuntimeError("; ".join(done))
