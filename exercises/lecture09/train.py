"""Lecture 09 · Softmax classifier / 多分类问题: the training cycle and the accuracy on a test set.

Run this file to train the lecture's Net on the shipped digit images (CPU, under a minute).
"""
import torch


def train_one_epoch(model, loader, optimizer, criterion) -> float:
    """One pass over `loader` (batches of images and their class indices); return the mean of the
    batch losses as a Python float.  `criterion` is an nn.CrossEntropyLoss."""
    # TODO: your code here
    raise NotImplementedError("lecture09/train.py: fill in train_one_epoch")


def accuracy(model, loader) -> float:
    """The fraction of samples in `loader` whose highest-scoring class is their label (0 to 1),
    computed in eval mode and without building a graph."""
    # TODO: your code here
    raise NotImplementedError("lecture09/train.py: fill in accuracy")


if __name__ == "__main__":
    from pathlib import Path

    from torch.utils.data import DataLoader
    from torchvision import datasets

    from data import make_transform
    from net import Net

    # the digit images shipped with the grader, in MNIST's format (see grader/data/README.md)
    root = Path(__file__).resolve().parents[2] / "grader" / "data" / "digits"
    train_set = datasets.MNIST(root, train=True, download=False, transform=make_transform())
    test_set = datasets.MNIST(root, train=False, download=False, transform=make_transform())
    train_loader = DataLoader(train_set, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    test_loader = DataLoader(test_set, batch_size=256)
    torch.set_num_threads(1)  # batches of 16 through small layers: on a busy CPU more threads only contend
    torch.manual_seed(0)
    model = Net()
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    for epoch in range(5):
        loss = train_one_epoch(model, train_loader, optimizer, criterion)
        print(f"epoch {epoch + 1}: loss {loss:.3f}, accuracy on the test split {accuracy(model, test_loader):.3f}")
