"""Supernets of the two search spaces: every edge (NAS-Bench-201) or layer (FBNet) holds all of its
candidate operations at once, mixed by a softmax over architecture logits `alpha` ([decisions, ops]).

The forward pass takes the logits as an argument, so the same weights can be evaluated at perturbed
logits (NA-DARTS's neighbours) without touching the parameter.
"""

from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from hwnas_trainer.model import ChannelShuffle

# ---------------------------------------------------------------- NAS-Bench-201

NB201_OPS: Sequence[str] = ('none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3')
NB201_EDGES = 6
# (to, from) of each edge in the canonical string's order: |x~0|+|x~0|x~1|+|x~0|x~1|x~2|
NB201_EDGE_NODES = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))


def nb201_format(encoding: Sequence[int]) -> str:
    """The canonical NAS-Bench-201 string of a 6-op encoding."""
    names = [NB201_OPS[i] for i in encoding]
    return '|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|'.format(*names)


class ReLUConvBN(nn.Module):
    def __init__(self, cin: int, cout: int, k: int, stride: int, affine: bool):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False),
            nn.BatchNorm2d(cout, affine=affine, track_running_stats=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def nb201_op(name: str, c: int, affine: bool) -> nn.Module:
    if name == 'none':
        return Zero()
    if name == 'skip_connect':
        return nn.Identity()
    if name == 'nor_conv_1x1':
        return ReLUConvBN(c, c, 1, 1, affine)
    if name == 'nor_conv_3x3':
        return ReLUConvBN(c, c, 3, 1, affine)
    if name == 'avg_pool_3x3':
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(f'unknown NAS-Bench-201 op {name!r}')


class MixedOp(nn.Module):
    """sum_k w_k * op_k(x) over one decision's candidates."""

    def __init__(self, ops: List[nn.Module]):
        super().__init__()
        self.ops = nn.ModuleList(ops)

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        out = None
        for w, op in zip(weights, self.ops):
            y = w * op(x)
            out = y if out is None else out + y
        return out


class SearchCell(nn.Module):
    def __init__(self, c: int, affine: bool):
        super().__init__()
        self.edges = nn.ModuleList(MixedOp([nb201_op(o, c, affine) for o in NB201_OPS]) for _ in range(NB201_EDGES))

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        e = 0
        for to in range(1, 4):
            s = None
            for frm in range(to):
                y = self.edges[e](nodes[frm], weights[e])
                s = y if s is None else s + y
                e += 1
            nodes.append(s)
        return nodes[3]


class ResidualReduction(nn.Module):
    """NAS-Bench-201's reduction block: two ReLU-conv-BN (stride 2, then 1) + pooled 1x1 shortcut."""

    def __init__(self, cin: int, cout: int, affine: bool):
        super().__init__()
        self.conv_a = ReLUConvBN(cin, cout, 3, 2, affine)
        self.conv_b = ReLUConvBN(cout, cout, 3, 1, affine)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_b(self.conv_a(x)) + self.shortcut(x)


class NB201Supernet(nn.Module):
    """NAS-Bench-201's macro skeleton with a mixed cell: stem, 3 stages of `cells` cells with a
    residual reduction between stages, BN + ReLU, global pooling, classifier. BN in the mixed
    operations has no affine parameters (as in DARTS' search phase)."""

    decisions = NB201_EDGES
    choices = len(NB201_OPS)

    def __init__(self, num_classes: int, width: int = 16, cells: int = 5, in_channels: int = 3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width))
        layers: List[nn.Module] = []
        c = width
        for stage in range(3):
            if stage > 0:
                layers.append(ResidualReduction(c, c * 2, affine=True))
                c *= 2
            layers.extend(SearchCell(c, affine=False) for _ in range(cells))
        self.layers = nn.ModuleList(layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=False))
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        weights = F.softmax(alpha, dim=-1)
        h = self.stem(x)
        for layer in self.layers:
            h = layer(h, weights) if isinstance(layer, SearchCell) else layer(h)
        h = self.lastact(h)
        h = F.adaptive_avg_pool2d(h, 1).flatten(1)
        return self.classifier(h)

    @staticmethod
    def format(encoding: Sequence[int]) -> str:
        return nb201_format(encoding)


# ---------------------------------------------------------------- FBNet

# (kernel, expansion, group) of blocks 0-7; block 8 is `skip`.
FBNET_BLOCKS = ((3, 1, 1), (3, 1, 2), (3, 3, 1), (3, 6, 1), (5, 1, 1), (5, 1, 2), (5, 3, 1), (5, 6, 1), None)
FBNET_BLOCK_NAMES = ('k3_e1', 'k3_e1_g2', 'k3_e3', 'k3_e6', 'k5_e1', 'k5_e1_g2', 'k5_e3', 'k5_e6', 'skip')
FBNET_STAGE_LAYERS = (1, 4, 4, 4, 4, 4, 1)
FBNET_STAGE_CHANNELS = (16, 24, 32, 64, 112, 184, 352)
FBNET_FIRST_STRIDE = {'cifar100': (1, 1, 2, 2, 1, 2, 1), 'ImageNet': (1, 2, 2, 2, 1, 2, 1)}
FBNET_STEM_STRIDE = {'cifar100': 1, 'ImageNet': 2}
FBNET_HEAD = {'cifar100': 1504, 'ImageNet': 1984}


def conv_bn(cin: int, cout: int, k: int, stride: int, groups: int, relu: bool) -> nn.Sequential:
    mods: List[nn.Module] = [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        mods.append(nn.ReLU(inplace=False))
    return nn.Sequential(*mods)


class FBNetBlock(nn.Module):
    """Expand 1x1 (groups g) + shuffle, depthwise kxk (stride s), project 1x1 (groups g), residual
    when the shape is kept: the block libs/bench-core's IR describes."""

    def __init__(self, cin: int, cout: int, stride: int, kernel: int, expansion: int, group: int):
        super().__init__()
        mid = cin * expansion
        mods: List[nn.Module] = [conv_bn(cin, mid, 1, 1, group, True)]
        if group > 1:
            mods.append(ChannelShuffle(group))
        mods.append(conv_bn(mid, mid, kernel, stride, mid, True))
        mods.append(conv_bn(mid, cout, 1, 1, group, False))
        self.body = nn.Sequential(*mods)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return y + x if self.residual else y


def fbnet_block(index: int, cin: int, cout: int, stride: int) -> nn.Module:
    spec = FBNET_BLOCKS[index]
    if spec is None:
        return nn.Identity() if stride == 1 and cin == cout else conv_bn(cin, cout, 1, stride, 1, True)
    return FBNetBlock(cin, cout, stride, *spec)


class FBNetSupernet(nn.Module):
    """The FBNet macro (HW-NAS-Bench's composition) with every one of its 22 layers a mixed block.
    `width_mult` scales every channel count (1.0 = the benchmark's network)."""

    decisions = 22
    choices = len(FBNET_BLOCKS)

    def __init__(self, num_classes: int, dataset: str = 'cifar100', width_mult: float = 1.0, in_channels: int = 3):
        super().__init__()
        if dataset not in FBNET_FIRST_STRIDE:
            raise ValueError(f'FBNet dataset must be one of {sorted(FBNET_FIRST_STRIDE)}, got {dataset!r}')

        def ch(c: int) -> int:
            return max(2, int(round(c * width_mult / 2)) * 2)  # even, so g2 blocks stay valid

        stem = ch(16)
        self.stem = conv_bn(in_channels, stem, 3, FBNET_STEM_STRIDE[dataset], 1, True)
        self.layers = nn.ModuleList()
        cin = stem
        for stage, (n, cout_raw) in enumerate(zip(FBNET_STAGE_LAYERS, FBNET_STAGE_CHANNELS)):
            cout = ch(cout_raw)
            for i in range(n):
                stride = FBNET_FIRST_STRIDE[dataset][stage] if i == 0 else 1
                self.layers.append(MixedOp([fbnet_block(b, cin, cout, stride) for b in range(len(FBNET_BLOCKS))]))
                cin = cout
        head = ch(FBNET_HEAD[dataset])
        self.head = conv_bn(cin, head, 1, 1, 1, True)
        self.classifier = nn.Linear(head, num_classes)

    def forward(self, x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        weights = F.softmax(alpha, dim=-1)
        h = self.stem(x)
        for i, layer in enumerate(self.layers):
            h = layer(h, weights[i])
        h = self.head(h)
        h = F.adaptive_avg_pool2d(h, 1).flatten(1)
        return self.classifier(h)

    @staticmethod
    def format(encoding: Sequence[int]) -> str:
        return ','.join(FBNET_BLOCK_NAMES[i] for i in encoding)


def build_supernet(space: str, dataset: str, num_classes: int, width: Optional[float] = None, cells: Optional[int] = None) -> nn.Module:
    if space == 'nb201':
        return NB201Supernet(num_classes, width=int(width or 16), cells=int(cells or 5))
    if space == 'fbnet':
        return FBNetSupernet(num_classes, dataset=dataset if dataset in FBNET_FIRST_STRIDE else 'cifar100', width_mult=float(width or 1.0))
    raise ValueError(f'unknown search space {space!r} (nb201 or fbnet)')
