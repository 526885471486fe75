"""Lecture 11 · Advanced CNN / 卷积神经网络高级篇: GoogLeNet's Inception block.

An Inception block runs four branches side by side on the same input and concatenates their
outputs along the channel dimension (dim=1 of (batch, channels, H, W)):

    branch1x1:   1x1 conv, 16 channels
    branch5x5:   1x1 conv, 16 channels -> 5x5 conv (padding 2), 24 channels
    branch3x3:   1x1 conv, 16 channels -> 3x3 conv (padding 1), 24 -> 3x3 conv (padding 1), 24
    branch_pool: 3x3 average pooling (stride 1, padding 1) -> 1x1 conv, 24 channels

16 + 24 + 24 + 24 = 88 output channels; every branch keeps H and W, so the four maps can be
stacked.  A kernel of size k with padding p changes a side by 2p - k + 1: padding (k - 1) / 2
keeps it.  The 1x1 convolutions change the number of channels cheaply.
"""
import torch
import torch.nn.functional as F
from torch import nn


class InceptionA(nn.Module):
    """The lecture's Inception block; keep these layer names, the grader loads its weights by them:

    branch1x1   = Conv2d(in_channels, 16, 1)
    branch5x5_1 = Conv2d(in_channels, 16, 1),  branch5x5_2 = Conv2d(16, 24, 5, padding=2)
    branch3x3_1 = Conv2d(in_channels, 16, 1),  branch3x3_2 = Conv2d(16, 24, 3, padding=1),
                                               branch3x3_3 = Conv2d(24, 24, 3, padding=1)
    branch_pool = Conv2d(in_channels, 24, 1), applied after F.avg_pool2d(x, 3, stride=1, padding=1)
    """

    def __init__(self, in_channels: int):
        super().__init__()
        # TODO: your code here
        raise NotImplementedError("lecture11/inception.py: fill in InceptionA.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, in_channels, H, W) -> (batch, 88, H, W): the branches in the order 1x1, 5x5, 3x3, pool."""
        # TODO: your code here
        raise NotImplementedError("lecture11/inception.py: fill in InceptionA.forward")


class InceptionNet(nn.Module):
    """The lecture's network (called Net there) for (batch, 1, 28, 28) images; 97,298 parameters.

    conv1 = Conv2d(1, 10, 5) -> mp -> relu -> incep1 = InceptionA(10)  -> (batch, 88, 12, 12)
    conv2 = Conv2d(88, 20, 5) -> mp -> relu -> incep2 = InceptionA(20) -> (batch, 88, 4, 4)
    flatten (88 x 4 x 4 = 1408) -> fc = Linear(1408, 10) -> raw scores (logits)
    Keep the names conv1, conv2, incep1, incep2, mp (MaxPool2d(2)) and fc.
    """

    def __init__(self):
        super().__init__()
        # TODO: your code here
        raise NotImplementedError("lecture11/inception.py: fill in InceptionNet.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: your code here
        raise NotImplementedError("lecture11/inception.py: fill in InceptionNet.forward")


if __name__ == "__main__":
    block = InceptionA(10)
    print(block(torch.randn(2, 10, 12, 12)).shape, sum(p.numel() for p in block.parameters()))  # (2, 88, 12, 12) 19104
    net = InceptionNet()
    print(net(torch.randn(3, 1, 28, 28)).shape, sum(p.numel() for p in net.parameters()))      # (3, 10) 97298
