"""Shared by the trainer's tests: the synthetic data set, a tiny network, and running train.py for real."""

import atexit
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TRAINER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(os.path.dirname(TRAINER_DIR))
TRAIN_PY = os.path.join(TRAINER_DIR, "train.py")
PYTHON = sys.executable

ARCH = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"
# Tiny NAS-Bench-201 network and one thread (several threads on a busy 2-core machine run far
# slower, and results are only bit-identical for a fixed thread count).
TINY = ["--width", "4", "--cells", "1", "--threads", "1", "--batch-size", "32", "--schedule-epochs", "4"]

_data_dir = None


def synthetic_data():
    """The test set, written once per test process: 480 train / 100 test images, 32x32, 10 classes."""
    global _data_dir
    if _data_dir is None:
        from hwnas_trainer.synthetic import make_synthetic
        _data_dir = tempfile.mkdtemp(prefix="hwnas-trainer-data-")
        atexit.register(shutil.rmtree, _data_dir, True)
        make_synthetic(_data_dir, train=480, test=100, num_classes=10, size=32, seed=3)
    return _data_dir


class Run:
    """The outcome of one train.py process."""

    def __init__(self, code, stdout, stderr):
        self.code, self.stdout, self.stderr = code, stdout, stderr

    @property
    def protocol(self):
        """Parsed protocol lines, asserting every stdout line is one (this trainer prints logs on stderr)."""
        out = []
        for line in self.stdout.splitlines():
            obj = json.loads(line)
            assert isinstance(obj, dict) and "hwnas" in obj, line
            out.append(obj)
        return out

    @property
    def final(self):
        return [p for p in self.protocol if p["hwnas"] == "final"]

    def __repr__(self):
        return f"Run(code={self.code}, stdout={self.stdout!r}, stderr tail={self.stderr[-1500:]!r})"


def train(args, work_dir=None, trial=None, env=None, cwd=None):
    """Runs train.py to completion; with `trial` (a dict), through a trial file as a worker would."""
    e = dict(os.environ)
    e.pop("HWNAS_TRIAL_FILE", None)
    if trial is not None:
        fd, path = tempfile.mkstemp(prefix="trial-", suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump(trial, fh)
        e["HWNAS_TRIAL_FILE"] = path
    e.update(env or {})
    argv = [PYTHON, TRAIN_PY] + list(args)
    if work_dir is not None:
        argv += ["--work-dir", work_dir]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, env=e, cwd=cwd or tempfile.gettempdir(), timeout=300)
    finally:
        if trial is not None:
            os.unlink(e["HWNAS_TRIAL_FILE"])
    return Run(p.returncode, p.stdout, p.stderr)


def train_in_process(args, work_dir=None, trial=None):
    """Like train() but in this process (through hwnas_trainer.cli.main): for runs that stop at an error."""
    from hwnas_trainer.cli import main
    env = {k: v for k, v in os.environ.items() if k != "HWNAS_TRIAL_FILE"}
    if trial is not None:
        fd, path = tempfile.mkstemp(prefix="trial-", suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump(trial, fh)
        env["HWNAS_TRIAL_FILE"] = path
    argv = list(args) + (["--work-dir", work_dir] if work_dir is not None else [])
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv, env)
    finally:
        if trial is not None:
            os.unlink(env["HWNAS_TRIAL_FILE"])
    return Run(code, out.getvalue(), err.getvalue())


def start(args):
    """Starts train.py without waiting (stdout and stderr piped)."""
    return subprocess.Popen([PYTHON, TRAIN_PY] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tempfile.gettempdir())


def read_line_within(stream, seconds):
    """One line of `stream`, failing if it takes longer than `seconds`."""
    import selectors
    with selectors.DefaultSelector() as sel:  # closed here: callers read many lines
        sel.register(stream, selectors.EVENT_READ)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if sel.select(timeout=0.5):
                return stream.readline()  # "" at end of file
    raise AssertionError(f"no line within {seconds} s")

