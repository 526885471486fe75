"""Lecture 11 · Advanced CNN / 卷积神经网络高级篇: the residual block (跳连接, skip connection).

A residual block adds its input back to what its two convolutions compute, before the last ReLU:

    y = relu(x + conv2(relu(conv1(x))))

Both convolutions are 3x3 with padding 1 and keep the number of channels, so x and conv2's output
have the same shape and can be added.  Through the `x +` the gradient reaches x directly, however
small the convolutions' gradient is: deep networks of such blocks do not suffer the vanishing
gradient (梯度消失) that plain stacks of layers do.
"""
import torch
import torch.nn.functional as F
from torch import nn


class ResidualBlock(nn.Module):
    """Keep the names conv1 and conv2: both Conv2d(channels, channels, 3, padding=1)."""

    def __init__(self, channels: int):
        super().__init__()
        # TODO: your code here
        raise NotImplementedError("lecture11/residual.py: fill in ResidualBlock.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, channels, H, W) -> the same shape."""
        # TODO: your code here
        raise NotImplementedError("lecture11/residual.py: fill in ResidualBlock.forward")


class ResidualNet(nn.Module):
    """The lecture's network (called Net there) for (batch, 1, 28, 28) images; 41,514 parameters.

    conv1 = Conv2d(1, 16, 5) -> mp -> relu -> rblock1 = ResidualBlock(16)  -> (batch, 16, 12, 12)
    conv2 = Conv2d(16, 32, 5) -> mp -> relu -> rblock2 = ResidualBlock(32) -> (batch, 32, 4, 4)
    flatten (32 x 4 x 4 = 512) -> fc = Linear(512, 10) -> raw scores (logits)
    Keep the names conv1, conv2, rblock1, rblock2, mp (MaxPool2d(2)) and fc.
    """

    def __init__(self):
        super().__init__()
        # TODO: your code here
        raise NotImplementedError("lecture11/residual.py: fill in ResidualNet.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: your code here
        raise NotImplementedError("lecture11/residual.py: fill in ResidualNet.forward")


if __name__ == "__main__":
    block = ResidualBlock(16)
    print(block(torch.randn(2, 16, 12, 12)).shape)                                           # (2, 16, 12, 12)
    net = ResidualNet()
    print(net(torch.randn(3, 1, 28, 28)).shape, sum(p.numel() for p in net.parameters()))  # (3, 10) 41514
