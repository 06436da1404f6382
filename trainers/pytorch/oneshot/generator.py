"""NAS-OoD's conditional generator and its two frozen critics.

The generator maps an image of source domain d to a "novel" domain n (StarGAN-like: the one-hot
maps of both domains are concatenated to the image), down 2x twice, residual blocks, up twice, and
adds the result to its input (G(x) = x + main(x)). The critics are small ConvNets trained first and
then frozen: `ConceptNet` classifies the domain (its 64-d embedding is phi, whose distance the
generator maximises) and `ClassNet` classifies the label (h, which keeps generated images'
labels)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class _Residual(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c, c, 3, padding=1, bias=False), nn.InstanceNorm2d(c, affine=True), nn.ReLU(inplace=False),
            nn.Conv2d(c, c, 3, padding=1, bias=False), nn.InstanceNorm2d(c, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ConditionalGenerator(nn.Module):
    def __init__(self, domains: int, channels: int = 3, width: int = 16, residual_blocks: int = 3):
        super().__init__()
        self.domains = domains
        c = width
        self.entry = nn.Sequential(nn.Conv2d(channels, c, 7, padding=3, bias=False), nn.InstanceNorm2d(c, affine=True), nn.ReLU(inplace=False))
        mods = [nn.Conv2d(c + 2 * domains, 2 * c, 4, stride=2, padding=1, bias=False), nn.InstanceNorm2d(2 * c, affine=True), nn.ReLU(inplace=False),
                nn.Conv2d(2 * c, 4 * c, 4, stride=2, padding=1, bias=False), nn.InstanceNorm2d(4 * c, affine=True), nn.ReLU(inplace=False)]
        mods += [_Residual(4 * c) for _ in range(residual_blocks)]
        mods += [nn.ConvTranspose2d(4 * c, 2 * c, 4, stride=2, padding=1, bias=False), nn.InstanceNorm2d(2 * c, affine=True), nn.ReLU(inplace=False),
                 nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1, bias=False), nn.InstanceNorm2d(c, affine=True), nn.ReLU(inplace=False),
                 nn.Conv2d(c, channels, 7, padding=3), nn.Tanh()]
        self.main = nn.Sequential(*mods)

    def forward(self, x: torch.Tensor, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        codes = torch.cat([F.one_hot(source, self.domains), F.one_hot(target, self.domains)], dim=1).float()
        maps = codes[:, :, None, None].expand(n, codes.shape[1], h, w)
        return x + self.main(torch.cat([self.entry(x), maps], dim=1))


class SmallConvNet(nn.Module):
    """Three conv layers, global pooling, a 64-d embedding and a linear head."""

    def __init__(self, outputs: int, channels: int = 3, embedding: int = 64):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=False), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(inplace=False), nn.MaxPool2d(2),
            nn.Conv2d(64, embedding, 3, padding=1), nn.BatchNorm2d(embedding), nn.ReLU(inplace=False),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Linear(embedding, outputs)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def freeze(module: nn.Module) -> nn.Module:
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)
    return module
