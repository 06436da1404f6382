"""Image classification data: CIFAR-style python-pickle batch directories and `.npz` files.

Everything is loaded into memory as uint8 NCHW tensors. Augmentation (NAS-Bench-201's random crop
with padding and horizontal flip) runs batch-wise in the training process, drawing from one
seeded torch.Generator, so the data order and the crops are part of the checkpointed RNG state.
"""

import glob
import os
import pickle

import numpy as np
import torch

from .errors import DataError, InvalidArgumentError


class Split:
    """Images (uint8, N x C x H x W), integer labels (int64, N) and, for multi-domain sets, the
    domain of each image (int64, N; None otherwise)."""

    def __init__(self, x, y, where, d=None):
        if x.shape[0] != y.shape[0]:
            raise DataError(f"{where}: {x.shape[0]} images but {y.shape[0]} labels")
        if x.shape[0] == 0:
            raise DataError(f"{where}: no images")
        if d is not None and d.shape[0] != y.shape[0]:
            raise DataError(f"{where}: {y.shape[0]} labels but {d.shape[0]} domain labels")
        self.x = x
        self.y = y
        self.d = d

    def __len__(self):
        return self.x.shape[0]


class Dataset:
    """train / valid / test splits (test may be None) with the per-channel normalisation of train."""

    def __init__(self, train, valid, test, source, valid_is_test):
        self.train, self.valid, self.test = train, valid, test
        self.source = source
        self.valid_is_test = valid_is_test
        x = train.x.to(torch.float64) / 255.0
        self.mean = x.mean(dim=(0, 2, 3)).to(torch.float32).view(1, -1, 1, 1)
        self.std = x.std(dim=(0, 2, 3)).clamp_min(1e-3).to(torch.float32).view(1, -1, 1, 1)

    @property
    def image_shape(self):
        return tuple(self.train.x.shape[1:])

    @property
    def num_labels(self):
        """One more than the largest label of any split."""
        return 1 + max(int(s.y.max()) for s in (self.train, self.valid, self.test) if s is not None)

    def normalise(self, x_uint8):
        return (x_uint8.to(torch.float32) / 255.0 - self.mean) / self.std


def load_dataset(path, valid_fraction, split_seed):
    """Loads `path` (a pickle-batch directory, a directory holding one .npz, or an .npz file).

    A fraction `valid_fraction` of the training images, chosen by `split_seed` (the same for every
    trial, so all trials are validated on the same images), becomes the validation split. With
    `valid_fraction` 0 the test split is the validation split.
    """
    if not 0 <= valid_fraction < 1:
        raise InvalidArgumentError(f"--valid-fraction must be in [0, 1), got {valid_fraction}")
    train, test, source = _load_raw(path)
    if valid_fraction == 0:
        if test is None:
            raise DataError(f"{source}: has no test split, so --valid-fraction must be above 0")
        return Dataset(train, test, test, source, True)
    n = len(train)
    n_valid = int(round(n * valid_fraction))
    if n_valid < 1 or n_valid >= n:
        raise DataError(f"{source}: --valid-fraction {valid_fraction} of {n} training images leaves an empty split")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(split_seed))
    valid_idx, train_idx = perm[:n_valid].sort().values, perm[n_valid:].sort().values
    pick = lambda idx: Split(train.x[idx], train.y[idx], source, None if train.d is None else train.d[idx])
    return Dataset(pick(train_idx), pick(valid_idx), test, source, False)


def _load_raw(path):
    if not os.path.exists(path):
        raise DataError(f"--data {path}: no such file or directory")
    if os.path.isfile(path):
        if not path.endswith(".npz"):
            raise DataError(f"--data {path}: a data file must be an .npz archive")
        return _load_npz(path)
    if _pickle_train_files(path):
        return _load_pickle_dir(path)
    for sub in ("cifar-10-batches-py", "cifar-100-python"):
        if os.path.isdir(os.path.join(path, sub)) and _pickle_train_files(os.path.join(path, sub)):
            return _load_pickle_dir(os.path.join(path, sub))
    npz = sorted(glob.glob(os.path.join(path, "*.npz")))
    if len(npz) == 1:
        return _load_npz(npz[0])
    if len(npz) > 1:
        raise DataError(f"--data {path}: holds {len(npz)} .npz files; name one of them")
    raise DataError(f"--data {path}: found neither CIFAR pickle batches (data_batch_*, or train/test) nor an .npz file")


def _pickle_train_files(d):
    batches = sorted(glob.glob(os.path.join(d, "data_batch_*")))
    if batches:
        return batches
    return [os.path.join(d, "train")] if os.path.isfile(os.path.join(d, "train")) else []


def _load_pickle_dir(d):
    train = _concat([_load_pickle_batch(f) for f in _pickle_train_files(d)], d)
    test = None
    for name in ("test_batch", "test"):
        if os.path.isfile(os.path.join(d, name)):
            test = _load_pickle_batch(os.path.join(d, name))
    return train, test, d


def _load_pickle_batch(f):
    try:
        with open(f, "rb") as fh:
            raw = pickle.load(fh, encoding="bytes")
    except Exception as e:  # a truncated or foreign file: say which one
        raise DataError(f"{f}: not a readable CIFAR pickle batch ({type(e).__name__}: {e})") from None
    if not isinstance(raw, dict):
        raise DataError(f"{f}: a CIFAR pickle batch must hold a dict")
    batch = {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}
    labels_key = next((k for k in ("labels", "fine_labels") if k in batch), None)
    if "data" not in batch or labels_key is None:
        raise DataError(f"{f}: a CIFAR pickle batch needs keys data and labels (or fine_labels), has {sorted(batch)}")
    return Split(_images(np.asarray(batch["data"]), f), _labels(np.asarray(batch[labels_key]), f), f)


def _load_npz(f):
    try:
        z = np.load(f, allow_pickle=False)
        arrays = {k: z[k] for k in z.files}
    except Exception as e:
        raise DataError(f"{f}: not a readable .npz archive ({type(e).__name__}: {e})") from None
    def domains(key):  # optional per-image domain labels of a multi-domain set
        return _labels(arrays[key], f"{f}:{key}") if key in arrays else None

    if "x_train" in arrays and "y_train" in arrays:
        train = Split(_images(arrays["x_train"], f + ":x_train"), _labels(arrays["y_train"], f + ":y_train"), f, domains("d_train"))
        test = None
        if "x_test" in arrays or "y_test" in arrays:
            if "x_test" not in arrays or "y_test" not in arrays:
                raise DataError(f"{f}: has only one of x_test and y_test")
            test = Split(_images(arrays["x_test"], f + ":x_test"), _labels(arrays["y_test"], f + ":y_test"), f, domains("d_test"))
        return train, test, f
    if "x" in arrays and "y" in arrays:
        return Split(_images(arrays["x"], f + ":x"), _labels(arrays["y"], f + ":y"), f), None, f
    raise DataError(f"{f}: needs arrays x_train, y_train (and x_test, y_test) or x, y; has {sorted(arrays)}")


def _concat(splits, where):
    shapes = {tuple(s.x.shape[1:]) for s in splits}
    if len(shapes) != 1:
        raise DataError(f"{where}: batches have different image shapes {sorted(shapes)}")
    return Split(torch.cat([s.x for s in splits]), torch.cat([s.y for s in splits]), where)


def _images(a, where):
    """uint8 N x C x H x W from N x 3072 (CIFAR rows), N x H x W x C or N x C x H x W."""
    if a.dtype != np.uint8:
        if not np.issubdtype(a.dtype, np.floating) and not np.issubdtype(a.dtype, np.integer):
            raise DataError(f"{where}: images must be numbers, got dtype {a.dtype}")
        lo, hi = float(a.min()), float(a.max())
        if not np.isfinite([lo, hi]).all():
            raise DataError(f"{where}: images contain NaN or infinite values")
        scale = 255.0 if np.issubdtype(a.dtype, np.floating) and hi <= 1.0 else 1.0
        if lo < 0 or hi * scale > 255:
            raise DataError(f"{where}: images must be uint8 0-255 or floats in [0, 1]; values span {lo}..{hi}")
        a = np.rint(a * scale).astype(np.uint8)
    if a.ndim == 2 and a.shape[1] % 3 == 0 and int(round((a.shape[1] // 3) ** 0.5)) ** 2 * 3 == a.shape[1]:
        side = int(round((a.shape[1] // 3) ** 0.5))
        a = a.reshape(-1, 3, side, side)
    elif a.ndim == 4 and a.shape[3] in (1, 3) and a.shape[1] not in (1, 3):
        a = a.transpose(0, 3, 1, 2)
    elif not (a.ndim == 4 and a.shape[1] in (1, 3)):
        raise DataError(f"{where}: images of shape {a.shape} are neither N x 3072 rows, N x H x W x C nor N x C x H x W")
    return torch.from_numpy(np.ascontiguousarray(a))


def _labels(a, where):
    a = np.asarray(a).reshape(-1) if np.asarray(a).ndim == 2 and np.asarray(a).shape[1] == 1 else np.asarray(a)
    if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
        raise DataError(f"{where}: labels must be a 1-D integer array, got shape {a.shape} dtype {a.dtype}")
    if a.size and a.min() < 0:
        raise DataError(f"{where}: labels must be >= 0, found {int(a.min())}")
    return torch.from_numpy(a.astype(np.int64))


def augment(x_uint8, generator):
    """NAS-Bench-201's CIFAR augmentation on a batch: random crop (zero padding of H/8) and horizontal flip."""
    n, _, h, w = x_uint8.shape
    pad = h // 8
    padded = torch.nn.functional.pad(x_uint8, (pad, pad, pad, pad))
    offsets = torch.randint(0, 2 * pad + 1, (n, 2), generator=generator)
    flips = torch.rand(n, generator=generator) < 0.5
    out = torch.empty_like(x_uint8)
    for i in range(n):
        oy, ox = int(offsets[i, 0]), int(offsets[i, 1])
        crop = padded[i, :, oy:oy + h, ox:ox + w]
        out[i] = crop.flip(2) if flips[i] else crop
    return out
