"""Orphan protection: the stdin lifeline and the work-dir lock, with real train.py processes."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import torch

from .support import ARCH, PYTHON, TINY, TRAIN_PY, read_line_within, synthetic_data


def start(args, lifeline=True):
    env = dict(os.environ)
    env.pop("HWNAS_TRIAL_FILE", None)
    if lifeline:
        env["HWNAS_STDIN_LIFELINE"] = "1"
    return subprocess.Popen([PYTHON, TRAIN_PY] + list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tempfile.gettempdir())


def finish(proc, timeout):
    """communicate() without touching stdin (closing it is what the lifeline reacts to)."""
    held, proc.stdin = proc.stdin, None
    try:
        return proc.communicate(timeout=timeout)
    finally:
        if held is not None and not held.closed:
            held.close()


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Lifeline(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hwnas-trainer-lifeline-")
        cls.args = TINY + ["--data", synthetic_data(), "--arch", ARCH, "--seed", "5"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_end_of_stdin_stops_the_trainer_at_once_without_another_checkpoint(self):
        w = os.path.join(self.tmp, "eof")
        proc = start(self.args + ["--epochs", "4", "--work-dir", w])
        try:
            line = read_line_within(proc.stdout, 120)
            self.assertIn('"hwnas":"report","epoch":1', line)
            proc.stdin.close()  # what the kernel does when the worker dies
            t0 = time.monotonic()
            out, err = finish(proc, 30)
            stopped_s = time.monotonic() - t0
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 143, err)
        self.assertIn("stdin reached end of file: the worker is gone", err)
        self.assertNotIn('"final"', out)
        self.assertLess(stopped_s, 5.0, err)  # not at the end of an epoch's worth of work
        saved = torch.load(os.path.join(w, "checkpoint.pt"))
        # At most the epoch in progress when stdin closed may have been written, never one started after.
        self.assertIn(saved["epoch"], (1, 2))
        self.assertEqual([f for f in os.listdir(w) if ".tmp" in f], [])

    def test_without_the_variable_stdin_is_not_watched(self):
        w = os.path.join(self.tmp, "no-lifeline")
        proc = start(self.args + ["--epochs", "1", "--work-dir", w], lifeline=False)
        proc.stdin.close()
        out, err = finish(proc, 120)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn('"hwnas":"final"', out)

    def test_a_second_trainer_waits_for_the_first_to_release_the_work_dir(self):
        w = os.path.join(self.tmp, "lock")
        # The first trainer is given far more epochs than it will live for: it must still hold the
        # lock when the second starts, however fast the machine (it is killed below).
        long_run = ["--schedule-epochs", "400"]
        first = start(self.args + long_run + ["--epochs", "400", "--work-dir", w])
        second = None
        try:
            read_line_within(first.stdout, 120)  # epoch 1 done: the first holds the lock
            with open(os.path.join(w, "trainer.lock")) as fh:
                self.assertEqual(fh.read().strip(), str(first.pid))
            second = start(self.args + long_run + ["--epochs", "2", "--work-dir", w])
            seen = []
            while not seen or "locked" not in seen[-1]:
                line = read_line_within(second.stderr, 60)
                if not line:
                    self.fail("the second trainer ended without waiting for the lock; its stderr:\n" + "".join(seen))
                seen.append(line)
            self.assertIn(f"the work dir is locked by trainer pid {first.pid}", seen[-1])
            first.kill()  # the kernel drops a dead holder's lock
            first.wait(10)
            out, err = finish(second, 120)
        finally:
            for p in (first, second):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait(10)
                for stream in (p.stdin, p.stdout, p.stderr) if p is not None else ():
                    if stream is not None:
                        stream.close()
        self.assertEqual(second.returncode, 0, err)
        self.assertIn("the earlier trainer has ended; the work dir is ours", err)
        self.assertIn('"hwnas":"resumed"', out)
        self.assertFalse(alive(first.pid))
        with open(os.path.join(w, "trainer.lock")) as fh:
            self.assertEqual(fh.read().strip(), str(second.pid))


if __name__ == "__main__":
    unittest.main()
