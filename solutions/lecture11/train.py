"""Lecture 11 · Advanced CNN / 卷积神经网络高级篇: train both networks on the shipped digit images.

Nothing to fill in here: this is lecture 10's training loop (train_one_epoch, evaluate) with the
settings the grader uses for lecture 11 (Adam, lr 0.001, batch 32, 2 epochs).  Run it after you
have written inception.py and residual.py:

    python train.py
"""
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from inception import InceptionNet
from residual import ResidualNet


def train_one_epoch(model, loader, optimizer, criterion, device) -> float:
    model.train()
    total, batches = 0.0, 0
    for inputs, target in loader:
        inputs, target = inputs.to(device), target.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), target)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    return total / max(batches, 1)


def evaluate(model, loader, device) -> float:
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for inputs, target in loader:
            inputs, target = inputs.to(device), target.to(device)
            correct += (model(inputs).argmax(dim=1) == target).sum().item()
            total += target.size(0)
    return correct / max(total, 1)


if __name__ == "__main__":
    # the digit images shipped with the grader, in MNIST's format (see grader/data/README.md)
    root = Path(__file__).resolve().parents[2] / "grader" / "data" / "digits"
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST(root, train=True, download=False, transform=transform)
    test_set = datasets.MNIST(root, train=False, download=False, transform=transform)
    test_loader = DataLoader(test_set, batch_size=256)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_num_threads(1)  # small convolutions: one thread is as fast, and far faster on a busy machine
    for net_class in (InceptionNet, ResidualNet):
        torch.manual_seed(0)
        model = net_class().to(device)
        train_loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
        optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
        criterion = torch.nn.CrossEntropyLoss()
        start = time.perf_counter()
        for epoch in range(2):
            loss = train_one_epoch(model, train_loader, optimizer, criterion, device)
            print(f"{net_class.__name__} epoch {epoch + 1}: loss {loss:.3f}, "
                  f"accuracy on the test split {evaluate(model, test_loader, device):.3f}")
        params = sum(p.numel() for p in model.parameters())
        print(f"{net_class.__name__}: {params:,} parameters, trained in {time.perf_counter() - start:.1f} s")
