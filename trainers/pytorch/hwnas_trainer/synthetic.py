"""Small synthetic image-classification sets with class-dependent patterns, deterministic by seed.

Class k is an oriented sinusoidal grating (orientation and frequency set by k) tinted with a class
colour; every image draws its own phase, contrast and pixel noise. A tiny network separates the
classes after an epoch or two, so tests see learning in seconds.

The multi-domain variant keeps the classes and changes the rendering per domain: a colour
transform (channel mix), a texture overlay (a checkerboard of domain-specific period) and a noise
level. Domain 0 is the plain set; out-of-distribution searches train on some domains and test on others.
"""

import json
import math
import os
import pickle

import numpy as np


def class_patterns(num_classes, size, rng):
    """Per class: (orientation radians, cycles per image, RGB tint)."""
    patterns = []
    for k in range(num_classes):
        theta = math.pi * k / num_classes
        cycles = 2 + (k % 3)
        tint = rng.uniform(0.2, 1.0, size=3)
        patterns.append((theta, cycles, tint))
    return patterns


def domain_shifts(num_domains, rng):
    """Per domain: a 3x3 colour mix, a checkerboard period and amplitude, and a noise std (0-255 scale)."""
    shifts = []
    for d in range(num_domains):
        if d == 0:
            shifts.append({"colour_mix": np.eye(3).tolist(), "texture_period": 0, "texture_amplitude": 0.0,
                           "noise_std": 12.0})
            continue
        mix = np.eye(3)[rng.permutation(3)] * 0.7 + rng.uniform(0, 0.3, size=(3, 3))
        shifts.append({"colour_mix": mix.tolist(), "texture_period": int(2 + d % 4),
                       "texture_amplitude": float(rng.uniform(0.1, 0.25)), "noise_std": float(12.0 + 8.0 * d)})
    return shifts


def render(labels, patterns, size, rng, shift=None):
    """uint8 images N x size x size x 3 (NHWC) for `labels`."""
    n = len(labels)
    yy, xx = np.meshgrid(np.arange(size) / size, np.arange(size) / size, indexing="ij")
    out = np.empty((n, size, size, 3), dtype=np.float64)
    phases = rng.uniform(0, 2 * math.pi, size=n)
    contrast = rng.uniform(0.6, 1.0, size=n)
    for i, k in enumerate(labels):
        theta, cycles, tint = patterns[k]
        u = xx * math.cos(theta) + yy * math.sin(theta)
        wave = np.sin(2 * math.pi * cycles * u + phases[i]) * contrast[i]
        out[i] = 0.5 + 0.3 * wave[:, :, None] * tint[None, None, :] + 0.3 * (tint[None, None, :] - 0.6)
    noise_std = 12.0
    if shift is not None:
        out = out @ np.asarray(shift["colour_mix"]).T
        if shift["texture_period"]:
            p = shift["texture_period"]
            checker = ((np.arange(size)[:, None] // p + np.arange(size)[None, :] // p) % 2) * 2 - 1
            out += shift["texture_amplitude"] * checker[None, :, :, None]
        noise_std = shift["noise_std"]
    out = out * 255.0 + rng.normal(0, noise_std, size=out.shape)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def make_split(n, num_classes, patterns, size, rng, shift=None):
    labels = np.arange(n) % num_classes
    rng.shuffle(labels)
    return render(labels, patterns, size, rng, shift), labels.astype(np.int64)


def write_pickle_dir(d, x_train, y_train, x_test, y_test, num_classes, batches=2):
    """A `cifar-10-batches-py`-style directory: data_batch_1..B, test_batch, batches.meta."""
    os.makedirs(d, exist_ok=True)

    def rows(x):  # N x H x W x C -> N x (C*H*W), CIFAR's channel-major rows
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2)).reshape(len(x), -1)

    for b, idx in enumerate(np.array_split(np.arange(len(x_train)), batches), start=1):
        _dump(os.path.join(d, f"data_batch_{b}"), {"batch_label": f"training batch {b} of {batches}",
                                                   "data": rows(x_train[idx]), "labels": y_train[idx].tolist()})
    _dump(os.path.join(d, "test_batch"), {"batch_label": "testing batch 1 of 1", "data": rows(x_test),
                                          "labels": y_test.tolist()})
    _dump(os.path.join(d, "batches.meta"), {"label_names": [f"class{k}" for k in range(num_classes)],
                                            "num_cases_per_batch": len(x_train) // batches,
                                            "num_vis": int(np.prod(x_train.shape[1:]))})


def _dump(path, obj):
    with open(path, "wb") as fh:
        pickle.dump(obj, fh, protocol=2)


def write_npz(path, x_train, y_train, x_test, y_test):
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def make_synthetic(out, train=1000, test=200, num_classes=10, size=32, seed=0, domains=0, formats=("pickle", "npz")):
    """Writes the set under `out` (see make_synthetic.py) and returns the paths written, by format."""
    rng = np.random.default_rng(seed)
    patterns = class_patterns(num_classes, size, rng)
    written = {}

    def write(d, shift, domain_rng):
        x_tr, y_tr = make_split(train, num_classes, patterns, size, domain_rng, shift)
        x_te, y_te = make_split(test, num_classes, patterns, size, domain_rng, shift)
        if "pickle" in formats:
            write_pickle_dir(os.path.join(d, "cifar-10-batches-py"), x_tr, y_tr, x_te, y_te, num_classes)
            written.setdefault("pickle", []).append(os.path.join(d, "cifar-10-batches-py"))
        if "npz" in formats:
            os.makedirs(d, exist_ok=True)
            write_npz(os.path.join(d, "synthetic.npz"), x_tr, y_tr, x_te, y_te)
            written.setdefault("npz", []).append(os.path.join(d, "synthetic.npz"))

    if domains <= 0:
        write(out, None, rng)
        return written
    shifts = domain_shifts(domains, rng)
    for k, shift in enumerate(shifts):
        write(os.path.join(out, f"domain{k}"), shift, np.random.default_rng([seed, k]))
    with open(os.path.join(out, "domains.json"), "w") as fh:
        json.dump({"seed": seed, "classes": num_classes, "size": size, "train": train, "test": test,
                   "domains": [dict(s, name=f"domain{k}") for k, s in enumerate(shifts)]}, fh, indent=1)
    return written


def spurious_domains(per_domain, domains, num_classes, size, seed, held_out, spurious=0.9, pattern_amplitude=1.0,
                     cue_amplitude=1.5, held_out_noise=None):
    """One multi-domain set for out-of-distribution tests, as .npz arrays (uint8 NHWC images,
    int64 labels, `d_train`/`d_test` domains). Each class is a smooth random spatial pattern (the
    invariant cue), each domain adds its own texture and noise level, and in the training domains a
    class colour tints an image with probability `spurious` (a cue that predicts the label there and
    is random in the held-out domain: the classic trap for empirical risk minimisation). Domain
    `held_out` is the test split; the others are the training split, renumbered 0..domains-2.
    `pattern_amplitude` scales the invariant pattern and `cue_amplitude` the tint (both in units of
    the pattern's std); `held_out_noise`, if given, replaces the held-out domain's pixel-noise std
    (otherwise domains get 0.3..0.8 in order). The defaults keep the set that the tests were written for:
    the random draws do not depend on these three."""
    rng = np.random.default_rng(seed)
    patterns = rng.normal(size=(num_classes, size, size))
    for _ in range(2):  # smooth, so that the patterns survive downsampling
        patterns = (patterns + np.roll(patterns, 1, 1) + np.roll(patterns, 1, 2) + np.roll(patterns, -1, 1) + np.roll(patterns, -1, 2)) / 5
    patterns /= patterns.std(axis=(1, 2), keepdims=True)
    class_tint = rng.uniform(-1.0, 1.0, size=(num_classes, 3))
    texture = rng.normal(size=(domains, size, size, 3))
    noise = np.linspace(0.3, 0.8, domains)
    if held_out_noise is not None:
        noise[held_out] = held_out_noise
    xs, ys, ds = [], [], []
    for d in range(domains):
        y = rng.integers(0, num_classes, size=per_domain)
        img = pattern_amplitude * patterns[y][:, :, :, None] + 0.6 * texture[d][None] + noise[d] * rng.normal(size=(per_domain, size, size, 3))
        cue = np.where((rng.random(per_domain) < spurious) & (d != held_out), y, rng.integers(0, num_classes, size=per_domain))
        img += cue_amplitude * class_tint[cue][:, None, None, :]
        xs.append(img)
        ys.append(y)
        ds.append(np.full(per_domain, d))
    x = np.clip(np.rint((np.concatenate(xs) * 0.2 + 0.5) * 255), 0, 255).astype(np.uint8)
    y = np.concatenate(ys).astype(np.int64)
    d = np.concatenate(ds).astype(np.int64)
    test = d == held_out
    return {"x_train": x[~test], "y_train": y[~test], "d_train": np.where(d[~test] > held_out, d[~test] - 1, d[~test]),
            "x_test": x[test], "y_test": y[test], "d_test": d[test]}
