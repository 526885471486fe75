"""Allocate (and touch) memory without end."""


def attack(*args):
    import torch
    hoard = []
    while True:
        hoard.append(torch.ones(1 << 26))  # 256 MiB at a time
