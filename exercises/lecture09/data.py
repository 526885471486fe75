"""Lecture 09 · Softmax classifier / 多分类问题: preparing MNIST images for a fully connected net.

transforms.ToTensor() turns a 28x28 grey image (pixels 0..255) into a float tensor (1, 28, 28)
with values in [0, 1]; transforms.Normalize((0.1307,), (0.3081,)) then subtracts MNIST's mean
pixel and divides by its standard deviation.  A Linear layer wants one row of 784 numbers per image.
"""
import torch
from torchvision import transforms


def make_transform():
    """The lecture's transform: ToTensor, then Normalize with MNIST's mean 0.1307 and std 0.3081."""
    # TODO: your code here
    raise NotImplementedError("lecture09/data.py: fill in make_transform")


def flatten(images: torch.Tensor) -> torch.Tensor:
    """A batch of images (N, 1, 28, 28) as rows (N, 784), with view."""
    # TODO: your code here
    raise NotImplementedError("lecture09/data.py: fill in flatten")


if __name__ == "__main__":
    from pathlib import Path

    from torchvision import datasets

    root = Path(__file__).resolve().parents[2] / "grader" / "data" / "digits"
    train_set = datasets.MNIST(root, train=True, download=False, transform=make_transform())
    image, label = train_set[0]
    print(image.shape, f"mean {image.mean():.3f}", label, flatten(image.unsqueeze(0)).shape)
