"""Image sets for the one-shot searches: `.npz` files with `x_train`, `y_train`, `x_test`, `y_test`
(uint8 NHWC or float NCHW) and, for multi-domain sets, `d_train` / `d_test` (domain of each image)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch


@dataclass
class ImageSet:
    x: torch.Tensor  # float32 NCHW, roughly zero-mean
    y: torch.Tensor  # int64
    d: Optional[torch.Tensor]  # int64 domain per image, or None

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def subset(self, idx: torch.Tensor) -> 'ImageSet':
        return ImageSet(self.x[idx], self.y[idx], None if self.d is None else self.d[idx])


def _images(a: np.ndarray, where: str) -> torch.Tensor:
    if a.ndim != 4:
        raise ValueError(f'{where}: expected 4-d images (N,H,W,C or N,C,H,W), got shape {a.shape}')
    t = torch.from_numpy(np.ascontiguousarray(a))
    if a.dtype == np.uint8:
        t = t.float().div(255.0)
    else:
        t = t.float()
    if t.shape[-1] in (1, 3) and t.shape[1] not in (1, 3):
        t = t.permute(0, 3, 1, 2).contiguous()
    return (t - 0.5) / 0.25


def _find_npz(path: str) -> str:
    if os.path.isfile(path):
        return path
    if os.path.isdir(path):
        files = sorted(f for f in os.listdir(path) if f.endswith('.npz'))
        if len(files) == 1:
            return os.path.join(path, files[0])
        if not files:
            raise FileNotFoundError(f'{path}: no .npz file in the data directory')
        raise ValueError(f'{path}: several .npz files ({", ".join(files)}); give one with --data FILE')
    raise FileNotFoundError(f'{path}: no such data file or directory')


def load_npz(path: str) -> tuple[ImageSet, ImageSet, int, int]:
    """(train, test, classes, domains) from an .npz file or a directory holding exactly one."""
    file = _find_npz(path)
    with np.load(file) as z:
        missing = [k for k in ('x_train', 'y_train', 'x_test', 'y_test') if k not in z.files]
        if missing:
            raise ValueError(f'{file}: missing arrays {", ".join(missing)} (has {", ".join(z.files)})')
        train = ImageSet(_images(z['x_train'], f'{file}:x_train'), torch.from_numpy(z['y_train'].astype(np.int64)),
                         torch.from_numpy(z['d_train'].astype(np.int64)) if 'd_train' in z.files else None)
        test = ImageSet(_images(z['x_test'], f'{file}:x_test'), torch.from_numpy(z['y_test'].astype(np.int64)),
                        torch.from_numpy(z['d_test'].astype(np.int64)) if 'd_test' in z.files else None)
    if len(train) != train.x.shape[0] or len(test) != test.x.shape[0]:
        raise ValueError(f'{file}: images and labels differ in count')
    classes = int(max(train.y.max(), test.y.max())) + 1
    domains = int(train.d.max()) + 1 if train.d is not None else 1
    return train, test, classes, domains


def synthetic_domains(n_per_domain: int, domains: int, classes: int, size: int, seed: int, held_out: Optional[int] = None,
                      spurious: float = 0.0) -> dict:
    """A multi-domain image set. Each class is a fixed smooth spatial pattern (the invariant cue);
    each domain adds its own texture and noise level. With `spurious` > 0, images of the training
    domains are tinted by a class-dependent colour with that probability (a cue that predicts the
    label there and nowhere else: the held-out domain's tint is random), the classic trap for
    empirical risk minimisation. Returns arrays in the .npz layout; with `held_out`, that domain is
    the test set and the others the training set (renumbered densely), else a random 20 % is."""
    rng = np.random.default_rng(seed)
    patterns = rng.normal(size=(classes, size, size)).astype(np.float32)
    # smooth patterns so that they survive downsampling
    for _ in range(2):
        patterns = (patterns + np.roll(patterns, 1, 1) + np.roll(patterns, 1, 2) + np.roll(patterns, -1, 1) + np.roll(patterns, -1, 2)) / 5
    patterns /= patterns.std(axis=(1, 2), keepdims=True)
    class_tint = rng.uniform(-1.0, 1.0, size=(classes, 3)).astype(np.float32)
    texture = rng.normal(size=(domains, 3, size, size)).astype(np.float32)
    noise = np.linspace(0.3, 0.8, domains).astype(np.float32)
    xs, ys, ds = [], [], []
    for d in range(domains):
        y = rng.integers(0, classes, size=n_per_domain)
        img = np.repeat(patterns[y][:, None, :, :], 3, axis=1) + 0.6 * texture[d][None]
        img += noise[d] * rng.normal(size=img.shape).astype(np.float32)
        if spurious > 0:
            cue = np.where((rng.random(n_per_domain) < spurious) & (d != held_out), y, rng.integers(0, classes, size=n_per_domain))
            img += 1.5 * class_tint[cue][:, :, None, None]
        xs.append(img)
        ys.append(y)
        ds.append(np.full(n_per_domain, d))
    x = np.concatenate(xs).astype(np.float32) * 0.25 + 0.5
    y = np.concatenate(ys).astype(np.int64)
    d = np.concatenate(ds).astype(np.int64)
    test = rng.random(len(y)) < 0.2 if held_out is None else d == held_out
    out = {'x_train': x[~test], 'y_train': y[~test], 'd_train': d[~test], 'x_test': x[test], 'y_test': y[test], 'd_test': d[test]}
    if held_out is not None:
        src = out['d_train']
        out['d_train'] = np.where(src > held_out, src - 1, src)
    return out
