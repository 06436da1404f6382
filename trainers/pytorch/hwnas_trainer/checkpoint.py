"""The per-epoch checkpoint in the trial's work dir, written atomically.

A checkpoint is one `torch.save` file, `checkpoint.pt`: {"format", "config", "epoch", "model",
"optimizer", "rng", "history"}. It is written to a temporary file in the same directory, flushed
to disk and renamed over the old one, so a reader (a retry on another worker, on a shared
volume) sees either the previous epoch's checkpoint or this one, never a torn file.
"""

import os

import torch

from .errors import CheckpointMismatchError

CHECKPOINT_FILE = "checkpoint.pt"
CHECKPOINT_FORMAT = "hwnas.trainer.pytorch/checkpoint-v1"


def checkpoint_path(work_dir):
    return os.path.join(work_dir, CHECKPOINT_FILE)


def save_checkpoint(work_dir, state):
    path = checkpoint_path(work_dir)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as fh:
        torch.save(dict(state, format=CHECKPOINT_FORMAT), fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(work_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load_checkpoint(work_dir, config):
    """The checkpoint in `work_dir`, or None; refuses one written for a different configuration."""
    path = checkpoint_path(work_dir)
    if not os.path.exists(path):
        return None
    try:
        state = torch.load(path, map_location="cpu")
    except Exception as e:
        raise CheckpointMismatchError(f"{path}: unreadable checkpoint ({type(e).__name__}: {e}); "
                                      "delete it to train from scratch") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointMismatchError(f"{path}: not a checkpoint of this trainer (format {CHECKPOINT_FORMAT})")
    saved = state["config"]
    differ = sorted(k for k in set(saved) | set(config) if saved.get(k) != config.get(k))
    if differ:
        detail = ", ".join(f"{k}: checkpoint {saved.get(k)!r} vs now {config.get(k)!r}" for k in differ)
        raise CheckpointMismatchError(f"{path} was written for another configuration ({detail}); "
                                      "use a fresh work dir or delete it")
    return state
