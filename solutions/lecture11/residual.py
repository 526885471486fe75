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
        # BEGIN SOLUTION
        self.channels = channels
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, channels, H, W) -> the same shape."""
        # BEGIN SOLUTION
        y = F.relu(self.conv1(x))
        y = self.conv2(y)
        return F.relu(x + y)
        # END SOLUTION


class ResidualNet(nn.Module):
    """The lecture's network (called Net there) for (batch, 1, 28, 28) images; 41,514 parameters.

    conv1 = Conv2d(1, 16, 5) -> mp -> relu -> rblock1 = ResidualBlock(16)  -> (batch, 16, 12, 12)
    conv2 = Conv2d(16, 32, 5) -> mp -> relu -> rblock2 = ResidualBlock(32) -> (batch, 32, 4, 4)
    flatten (32 x 4 x 4 = 512) -> fc = Linear(512, 10) -> raw scores (logits)
    Keep the names conv1, conv2, rblock1, rblock2, mp (MaxPool2d(2)) and fc.
    """

    def __init__(self):
        super().__init__()
        # BEGIN SOLUTION
        self.conv1 = nn.Conv2d(1, 16, kernel_size=5)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=5)
        self.mp = nn.MaxPool2d(2)

        self.rblock1 = ResidualBlock(16)
        self.rblock2 = ResidualBlock(32)

        self.fc = nn.Linear(512, 10)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        in_size = x.size(0)
        x = self.mp(F.relu(self.conv1(x)))
        x = self.rblock1(x)
        x = self.mp(F.relu(self.conv2(x)))
        x = self.rblock2(x)
        x = x.view(in_size, -1)
        return self.fc(x)
        # END SOLUTION


if __name__ == "__main__":
    block = ResidualBlock(16)
    print(block(torch.randn(2, 16, 12, 12)).shape)                                           # (2, 16, 12, 12)
    net = ResidualNet()
    print(net(torch.randn(3, 1, 28, 28)).shape, sum(p.numel() for p in net.parameters()))  # (3, 10) 41514
