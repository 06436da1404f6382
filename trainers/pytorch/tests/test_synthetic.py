"""make_synthetic.py: deterministic by seed, both formats alike, shifted domains with the same classes."""

import filecmp
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import numpy as np

from hwnas_trainer.data import load_dataset

from .support import PYTHON, TRAINER_DIR


def make(out, *args):
    p = subprocess.run([PYTHON, os.path.join(TRAINER_DIR, "make_synthetic.py"), out, "--train", "60", "--test", "20",
                        *args], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(p.stderr)
    return p.stdout


class Synthetic(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hwnas-synthetic-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def test_same_seed_same_bytes_other_seed_other_images(self):
        make(self.path("a"), "--seed", "1")
        make(self.path("b"), "--seed", "1")
        make(self.path("c"), "--seed", "2")
        cmp = filecmp.dircmp(self.path("a", "cifar-10-batches-py"), self.path("b", "cifar-10-batches-py"))
        self.assertEqual(cmp.diff_files, [])
        self.assertEqual(len(cmp.same_files), 4)
        a = np.load(self.path("a", "synthetic.npz"))
        self.assertTrue(np.array_equal(a["x_train"], np.load(self.path("b", "synthetic.npz"))["x_train"]))
        self.assertFalse(np.array_equal(a["x_train"], np.load(self.path("c", "synthetic.npz"))["x_train"]))

    def test_both_formats_hold_the_same_images(self):
        make(self.path("d"), "--classes", "4", "--size", "16")
        from_pickle = load_dataset(self.path("d"), 0.25, 0)
        from_npz = load_dataset(self.path("d", "synthetic.npz"), 0.25, 0)
        for split in ("train", "valid", "test"):
            self.assertTrue((getattr(from_pickle, split).x == getattr(from_npz, split).x).all())
            self.assertTrue((getattr(from_pickle, split).y == getattr(from_npz, split).y).all())
        self.assertEqual(from_pickle.image_shape, (3, 16, 16))
        self.assertEqual(from_pickle.num_labels, 4)
        self.assertEqual(np.bincount(from_npz.test.y.numpy()).tolist(), [5, 5, 5, 5])  # balanced classes

    def test_domains_share_classes_and_differ_in_rendering(self):
        make(self.path("m"), "--domains", "3")
        with open(self.path("m", "domains.json")) as fh:
            meta = json.load(fh)
        self.assertEqual([d["name"] for d in meta["domains"]], ["domain0", "domain1", "domain2"])
        sets = [load_dataset(self.path("m", f"domain{k}"), 0.2, 0) for k in range(3)]
        for s in sets:
            self.assertEqual(s.num_labels, 10)
            self.assertEqual(len(s.train) + len(s.valid), 60)
        means = [s.train.x.float().mean(dim=(0, 2, 3)) for s in sets]
        for k in (1, 2):
            self.assertGreater(float((means[k] - means[0]).abs().max()), 3.0)  # a colour shift, on 0-255


if __name__ == "__main__":
    unittest.main()
