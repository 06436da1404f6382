"""Protocol lines of hwnas.trainer/v1 on stdout, and human log lines on stderr."""

import json
import math
import sys

from .errors import DivergedError

CONTRACT = "hwnas.trainer/v1"


def log(message):
    """A human log line (the worker keeps the stderr tail for failure reasons)."""
    print(f"[trainer] {message}", file=sys.stderr, flush=True)


def check_finite(metrics, epoch):
    for name, value in metrics.items():
        if not math.isfinite(value):
            raise DivergedError(f"metric {name} is {value} at epoch {epoch}: training diverged (try a lower --lr)")


def emit(kind, epoch, metrics=None):
    """Writes one protocol line; refuses non-finite metrics (Python's json would write NaN, which is not JSON)."""
    line = {"hwnas": kind, "epoch": epoch}
    if metrics is not None:
        check_finite(metrics, epoch)
        line["metrics"] = {k: float(v) for k, v in metrics.items()}
    print(json.dumps(line, allow_nan=False, separators=(",", ":")), flush=True)
