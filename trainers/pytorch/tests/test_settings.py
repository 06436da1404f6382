"""Settings precedence (flag > trial option > default) and the cosine schedule."""

import json
import math
import os
import tempfile
import unittest

from hwnas_trainer.errors import InvalidArgumentError
from hwnas_trainer.settings import resolve
from hwnas_trainer.trainer import cosine_lr

from .support import ARCH


class Settings(unittest.TestCase):
    def trial_env(self, **fields):
        trial = {"contract": "hwnas.trainer/v1", "space": "nb201", "dataset": "cifar10", "arch": {"string": ARCH},
                 "fidelity": {"epochs": 12}, "seed": 42, "workDir": "/tmp/w", "options": {}}
        trial.update(fields)
        fd, path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump(trial, fh)
        self.addCleanup(os.unlink, path)
        return {"HWNAS_TRIAL_FILE": path}

    def test_flag_beats_option_beats_default(self):
        env = self.trial_env(options={"lr": 0.05, "batch-size": 64, "nesterov": "false"})
        s = resolve(["--data", "/d", "--lr", "0.2"], env)
        self.assertEqual((s.lr, s.batch_size, s.nesterov, s.weight_decay), (0.2, 64, False, 5e-4))
        self.assertEqual((s.epochs, s.seed, s.work_dir, s.space), (12, 42, "/tmp/w", "nb201"))

    def test_bad_trial_fields_name_the_field(self):
        for fields, message in [({"fidelity": {"epochs": 0}}, 'fidelity: field "epochs" has a bad value 0'),
                                ({"space": "darts"}, 'field "space" has a bad value'),
                                ({"options": {"batch_size": 2.5}}, 'trainer option "batch_size" must be an integer, got 2.5'),
                                ({"arch": {}}, '"arch" needs "string" or "encoding"')]:
            with self.subTest(fields=fields):
                with self.assertRaises(InvalidArgumentError) as e:
                    resolve(["--data", "/d"], self.trial_env(**fields))
                self.assertIn(message, str(e.exception))

    def test_cosine_anneals_to_zero_over_the_horizon(self):
        self.assertAlmostEqual(cosine_lr(0.1, 0, 200), 0.1)
        self.assertAlmostEqual(cosine_lr(0.1, 100, 200), 0.05)
        self.assertAlmostEqual(cosine_lr(0.1, 200, 200), 0.0)
        # A 12-epoch trial on the 200-epoch horizon still trains near the initial rate.
        self.assertAlmostEqual(cosine_lr(0.1, 12, 200), 0.05 * (1 + math.cos(math.pi * 12 / 200)))
        self.assertGreater(cosine_lr(0.1, 12, 200), 0.099)


if __name__ == "__main__":
    unittest.main()
