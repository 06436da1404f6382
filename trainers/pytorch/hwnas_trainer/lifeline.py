"""Orphan protection of hwnas.trainer/v1: one trainer per work dir, and none once its worker is gone.

Two guards, for trainers that checkpoint:

- The work-dir lock: `trainer.lock` in the work dir, held with flock(2) for the whole run and
  holding the pid of its holder. A retry that starts while an earlier trainer of the same trial
  still runs waits for it (the kernel drops the lock when that process dies, however it dies), so
  two trainers never write one checkpoint.
- The stdin lifeline: when the worker sets HWNAS_STDIN_LIFELINE=1, stdin is a pipe the worker
  holds open for as long as it lives. End of file there means the worker is gone (e.g. SIGKILLed):
  the trainer stops at once, after any checkpoint write in progress and before the next one, so the
  retry on another worker resumes from a whole checkpoint.
"""

import contextlib
import fcntl
import os
import threading
import time

from .errors import TrainerError
from .protocol import log

LOCK_FILE = "trainer.lock"
LIFELINE_ENV = "HWNAS_STDIN_LIFELINE"
# Exit status when the worker is gone (nobody reads it; a shell would show a SIGTERM's).
EXIT_ORPHANED = 143
LOCK_POLL_SECONDS = 0.1


class WorkDirBusyError(TrainerError):
    """Another live trainer held the work dir past the wait."""


class WorkDirGuard:
    """The work-dir lock and the checkpoint-write section the stdin watcher waits for."""

    def __init__(self, work_dir):
        self.path = os.path.join(work_dir, LOCK_FILE)
        self._fd = None
        # Held while a checkpoint is written; the watcher takes it and never gives it back.
        self._writing = threading.Lock()

    def acquire(self, wait_seconds, should_stop=lambda: None):
        """Takes the lock, waiting up to `wait_seconds` for a live holder; `should_stop` may raise to give up."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read_pid(fd)
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise WorkDirBusyError(f"{self.path}: the work dir is still used by trainer pid {holder} after "
                                           f"{wait_seconds:g} s; two trainers must not share one work dir") from None
                if not told:
                    log(f"the work dir is locked by trainer pid {holder} (an earlier attempt of this trial); "
                        "waiting for it to end")
                    told = True
                should_stop()
                time.sleep(LOCK_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        if told:
            log("the earlier trainer has ended; the work dir is ours")

    def release(self):
        """Drops the lock (closing the file); the process's exit would too. Idempotent."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @contextlib.contextmanager
    def writing(self):
        """The section of one checkpoint write: the stdin watcher never stops the process inside it."""
        with self._writing:
            yield

    def watch_stdin(self):
        """Starts the lifeline watcher: at end of file on stdin, wait for a write in progress, then exit."""
        threading.Thread(target=self._watch, name="hwnas-stdin-lifeline", daemon=True).start()

    def _watch(self):
        try:
            while os.read(0, 65536):
                pass  # the worker writes nothing; any bytes are ignored
        except OSError:
            pass  # stdin closed or unreadable: the worker is not holding it either
        self._writing.acquire()  # never released: no checkpoint write starts after this
        try:
            log("stdin reached end of file: the worker is gone; stopping now without further checkpoints")
        except OSError:
            pass  # stderr went with the worker
        os._exit(EXIT_ORPHANED)


def _read_pid(fd):
    try:
        text = os.pread(fd, 32, 0).decode().strip()
        return int(text) if text else "?"
    except (OSError, ValueError):
        return "?"
