"""train.py hands a trial whose options carry a one-shot `method` to oneshot/search.py."""

import os
import shutil
import tempfile
import unittest

from tests.support import train


class OneShotHandoff(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from hwnas_trainer.synthetic import make_synthetic
        cls.tmp = tempfile.mkdtemp(prefix="hwnas-handoff-")
        make_synthetic(cls.tmp, train=96, test=32, num_classes=3, size=16, seed=1, formats=("npz",))
        cls.data = os.path.join(cls.tmp, "synthetic.npz")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def trial(self, work, **options):
        return {"contract": "hwnas.trainer/v1", "searchId": "s", "trialId": 0, "space": "nb201", "dataset": "cifar10",
                "fidelity": {"epochs": 1}, "seed": 0, "workDir": work, "options": options}

    def test_a_trial_with_a_method_runs_the_one_shot_search(self):
        work = os.path.join(self.tmp, "w1")
        table = [[float(op * (edge + 1)) for op in range(5)] for edge in range(6)]
        run = train(["--data", self.data, "--width", "4", "--cells", "1", "--threads", "1", "--batch-size", "32"],
                    trial=self.trial(work, method="darts", costTable=table, costWeight=0.5))
        self.assertEqual(run.code, 0, run)
        final = run.final[0]
        self.assertEqual(len(final["arch"]["encoding"]), 6)
        self.assertIn("expected_cost", final["metrics"])
        self.assertTrue(os.path.exists(os.path.join(work, "oneshot.pt")))

    def test_a_flag_that_means_nothing_to_a_one_shot_search_is_refused_by_name(self):
        run = train(["--data", self.data, "--lr", "0.5"], trial=self.trial(os.path.join(self.tmp, "w2"), method="darts"))
        self.assertEqual(run.code, 2, run)
        self.assertIn("--lr does not apply to a one-shot trial", run.stderr)


if __name__ == "__main__":
    unittest.main()
