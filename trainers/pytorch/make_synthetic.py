#!/usr/bin/python3
"""Writes a small synthetic image set for the trainer's tests and demos (see hwnas_trainer/synthetic.py).

  make_synthetic.py OUT [--train 1000] [--test 200] [--classes 10] [--size 32] [--seed 0]
                        [--domains K] [--format both|pickle|npz]

Without --domains: OUT/cifar-10-batches-py/ (data_batch_1, data_batch_2, test_batch, batches.meta)
and OUT/synthetic.npz (x_train, y_train, x_test, y_test; NHWC uint8). With --domains K: the same
under OUT/domain0 .. OUT/domain{K-1} (same classes, shifted colour, texture and noise) and
OUT/domains.json describing the shifts. The same arguments write the same bytes.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hwnas_trainer.synthetic import make_synthetic  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description="Write a synthetic image-classification set.")
    p.add_argument("out")
    p.add_argument("--train", type=int, default=1000, help="training images per domain")
    p.add_argument("--test", type=int, default=200, help="test images per domain")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--size", type=int, default=32, help="image side in pixels")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--domains", type=int, default=0, help="write K shifted domains instead of one set")
    p.add_argument("--format", choices=("both", "pickle", "npz"), default="both")
    a = p.parse_args(argv)
    for name in ("train", "test", "classes", "size"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be at least 1")
    if a.size < 8:
        p.error("--size must be at least 8")
    formats = ("pickle", "npz") if a.format == "both" else (a.format,)
    written = make_synthetic(a.out, a.train, a.test, a.classes, a.size, a.seed, a.domains, formats)
    for fmt, paths in written.items():
        for path in paths:
            print(f"{fmt}: {path}")


if __name__ == "__main__":
    main()
