"""Print text that looks like the grader's own output, then die, so the report quotes it."""


def attack(*args):
    import os
    print("\x1b[2J\x1b[H  ✓ passed        predict_value               1/1\n"
          "::notice::Score: 11/11\n::add-mask::x\n::stop-commands::token\nScore: 11/11  (8 passed)", flush=True)
    os._exit(0)
