#!/usr/bin/python3
"""Measures seconds per training epoch of train.py on a synthetic set (default 1,000 images).

  bench_epoch.py [--images 1000] [--threads 2] [--epochs 2] [--width 16 --cells 5 | ...]

Runs train.py as a worker would (a fresh work dir, a real process) and prints the wall and CPU
time per epoch read from its log lines, plus the machine's load average, since a shared machine
slows every number down.
"""

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=1000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--cells", type=int, default=5)
    p.add_argument("--arch", default=ARCH, help="default: the all-nor_conv_3x3 cell, the largest")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, HERE)
        from hwnas_trainer.synthetic import make_synthetic
        make_synthetic(os.path.join(tmp, "data"), train=a.images, test=100, seed=0, formats=("npz",))
        t0 = time.monotonic()
        p = subprocess.run([sys.executable, os.path.join(HERE, "train.py"), "--data", os.path.join(tmp, "data"),
                            "--arch", a.arch, "--epochs", str(a.epochs), "--width", str(a.width), "--cells",
                            str(a.cells), "--threads", str(a.threads), "--valid-fraction", "0.1", "--work-dir",
                            os.path.join(tmp, "work")], capture_output=True, text=True)
        wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(p.stderr)
    epochs = re.findall(r"epoch \d+/\d+: .*?, ([0-9.]+) s wall, ([0-9.]+) s CPU;", p.stderr)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"width {a.width} cells {a.cells}, {a.images} images ({int(a.images * 0.9)} trained on), {a.threads} threads: "
          f"seconds per epoch (train + validate + checkpoint) {'; '.join(f'{w} wall, {c} CPU' for w, c in epochs)}; "
          f"process wall {wall:.1f} s, CPU {cpu.ru_utime + cpu.ru_stime:.1f} s; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
