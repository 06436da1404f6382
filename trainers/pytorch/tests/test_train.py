"""train.py as a worker runs it: real processes, real PyTorch, the synthetic set at tiny width."""

import json
import os
import shutil
import signal
import tempfile
import unittest

import torch

from hwnas_trainer.ir import nb201_ir, parse_arch

from .support import ARCH, TINY, read_line_within, start, synthetic_data, train, train_in_process


def reports(run):
    return [p for p in run.protocol if p["hwnas"] == "report"]


class Training(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hwnas-trainer-test-")
        cls.data = synthetic_data()
        cls.args = TINY + ["--data", cls.data, "--arch", ARCH, "--seed", "5"]
        cls.full = train(cls.args + ["--epochs", "2"], work_dir=cls.dir("full"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def dir(cls, name):
        return os.path.join(cls.tmp, name)

    def test_two_epochs_learn_well_above_chance(self):
        self.assertEqual(self.full.code, 0, self.full)
        final = self.full.final[0]["metrics"]
        self.assertGreater(final["valid_accuracy"], 35.0, self.full)  # 10 classes: chance is 10%
        self.assertGreater(final["test_accuracy"], 35.0, self.full)
        first, second = reports(self.full)
        self.assertLess(second["metrics"]["train_loss"], first["metrics"]["train_loss"])

    def test_stdout_is_the_contract(self):
        lines = self.full.protocol
        self.assertEqual([(p["hwnas"], p["epoch"]) for p in lines], [("report", 1), ("report", 2), ("final", 2)])
        for p in lines:
            self.assertEqual(set(p), {"hwnas", "epoch", "metrics"})
            for v in p["metrics"].values():
                self.assertIsInstance(v, float)
        final = lines[-1]["metrics"]
        self.assertEqual(final["accuracy"], final["valid_accuracy"])
        self.assertEqual({k: v for k, v in final.items() if k != "accuracy"}, lines[1]["metrics"])
        self.assertIn("epoch 2/2", self.full.stderr)
        self.assertTrue(os.path.isfile(os.path.join(self.dir("full"), "checkpoint.pt")))

    def test_same_seed_same_metrics_and_another_seed_others(self):
        again = train(self.args + ["--epochs", "2"], work_dir=self.dir("again"))
        self.assertEqual(again.stdout, self.full.stdout)
        other = train([a if a != "5" else "6" for a in self.args] + ["--epochs", "2"], work_dir=self.dir("seed6"))
        self.assertEqual(other.code, 0, other)
        self.assertNotEqual(other.final, self.full.final)

    def test_resume_continues_at_the_checkpoint_epoch_and_matches_an_uninterrupted_run(self):
        w = self.dir("resume")
        first = train(self.args + ["--epochs", "1"], work_dir=w)
        self.assertEqual(first.code, 0, first)
        self.assertEqual(first.protocol[0], reports(self.full)[0])
        second = train(self.args + ["--epochs", "2"], work_dir=w)
        self.assertEqual(second.code, 0, second)
        self.assertEqual(second.protocol[0], {"hwnas": "resumed", "epoch": 1})
        self.assertIn("resumed from the checkpoint of epoch 1", second.stderr)
        self.assertEqual([p["epoch"] for p in reports(second)], [2])
        self.assertEqual(second.final, self.full.final)
        # Asked again for fewer epochs than trained: the metrics measured at that epoch, nothing retrained.
        lower = train(self.args + ["--epochs", "1"], work_dir=w)
        self.assertEqual(lower.code, 0, lower)
        self.assertEqual([p["hwnas"] for p in lower.protocol], ["resumed", "final"])
        self.assertEqual(lower.final, first.final)

    def test_npz_file_and_pickle_batches_train_alike(self):
        npz = train([a if a != self.data else os.path.join(self.data, "synthetic.npz") for a in self.args]
                    + ["--epochs", "2"], work_dir=self.dir("npz"))
        self.assertEqual(npz.code, 0, npz)
        self.assertEqual(npz.final, self.full.final)

    def test_trial_file_with_ir_options_and_work_dir(self):
        w = self.dir("trial")
        os.makedirs(w)
        ir = nb201_ir(parse_arch("nb201", ARCH), "cifar10", width=4, cells=1)
        trial = {"contract": "hwnas.trainer/v1", "searchId": "s-test", "trialId": 7, "space": "nb201",
                 "dataset": "cifar10", "arch": {"string": ARCH, "encoding": parse_arch("nb201", ARCH)}, "ir": ir,
                 "fidelity": {"epochs": 1}, "seed": 5, "workDir": w,
                 "options": {"batch_size": 32, "threads": 1, "schedule-epochs": 4}}
        traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        run = train(["--data", self.data], trial=trial, cwd=w, env={"TRACEPARENT": traceparent})
        self.assertEqual(run.code, 0, run)
        self.assertIn(f"trace parent {traceparent}", run.stderr)
        self.assertIn("search s-test trial 7", run.stderr)
        self.assertIn("from the trial IR", run.stderr)
        self.assertEqual(run.protocol[0], reports(self.full)[0])
        self.assertTrue(os.path.isfile(os.path.join(w, "checkpoint.pt")))

        bad = dict(trial, options={"learning_rate": 0.1})
        run = train_in_process(["--data", self.data], trial=bad)
        self.assertNotEqual(run.code, 0)
        self.assertIn('unknown trainer option "learning_rate"', run.stderr)

        bad = dict(trial, contract="hwnas.trainer/v0")
        run = train_in_process(["--data", self.data], trial=bad)
        self.assertNotEqual(run.code, 0)
        self.assertIn("this trainer implements \"hwnas.trainer/v1\"", run.stderr)

    def test_an_fbnet_trial_trains(self):
        from hwnas_trainer.ir import fbnet_ir
        from hwnas_trainer.synthetic import make_synthetic
        data = self.dir("fbnet-data")
        make_synthetic(data, train=40, test=10, seed=1, formats=("npz",))
        arch = [1, 5, 8, 3, 6, 8, 0, 7, 2, 5, 8, 0, 0, 4, 8, 1, 2, 7, 0, 8, 0, 5]  # both group sizes, skips
        w = self.dir("fbnet")
        trial = {"contract": "hwnas.trainer/v1", "space": "fbnet", "dataset": "cifar100", "arch": {"encoding": arch},
                 "ir": fbnet_ir(arch, "cifar100"), "fidelity": {"epochs": 1}, "seed": 1, "workDir": w, "options": {}}
        run = train(["--data", data, "--threads", "1", "--batch-size", "20", "--valid-fraction", "0.25"], trial=trial)
        self.assertEqual(run.code, 0, run)
        self.assertEqual([p["hwnas"] for p in run.protocol], ["report", "final"])
        self.assertIn("fbnet k3_e1_g2,k5_e1_g2,skip,", run.stderr)

        wrong = dict(trial, dataset="ImageNet")
        run = train_in_process(["--data", data], trial=wrong)
        self.assertEqual(run.code, 2, run)
        self.assertIn("the trial IR describes fbnet", run.stderr)

    def test_a_checkpoint_of_another_architecture_is_refused(self):
        w = self.dir("mismatch")
        shutil.copytree(self.dir("full"), w)
        other = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
        run = train_in_process([a if a != ARCH else other for a in self.args] + ["--epochs", "2"], work_dir=w)
        self.assertEqual(run.code, 2, run)
        self.assertIn("was written for another configuration (arch: checkpoint", run.stderr)
        self.assertNotIn("Traceback", run.stderr)

    def test_bad_input_is_a_clear_error_on_stderr(self):
        cases = [
            (["--data", "/nonexistent/cifar", "--arch", ARCH, "--epochs", "1"], "--data /nonexistent/cifar: no such file"),
            (["--data", self.data, "--arch", "|nor_conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|", "--epochs", "1"],
             'unknown operation "nor_conv_5x5" on edge 0->1'),
            (["--data", self.data, "--arch", "|none~0|+|none~0|", "--epochs", "1"], 'must have 3 nodes separated by "+"'),
            (["--data", self.data, "--space", "fbnet", "--arch", "k3_e1,k3_e1", "--epochs", "1"], "must list 22 blocks"),
            (["--data", self.data, "--arch", ARCH], "--arch and --epochs are required"),
            (["--data", self.data, "--arch", ARCH, "--epochs", "300"], "past the cosine horizon --schedule-epochs 200"),
            (["--data", self.data, "--arch", ARCH, "--epochs", "1", "--dataset", "ImageNet16-120"],
             "images are (3, 32, 32) (C, H, W) but the nb201 network for ImageNet16-120 takes (3, 16, 16)"),
        ]
        for i, (args, message) in enumerate(cases):
            with self.subTest(args=args):
                # The first two in real processes (exit status, stderr); the rest in this one, to keep the suite fast.
                run = (train if i < 2 else train_in_process)(args, work_dir=self.dir("errors"))
                self.assertEqual(run.code, 2, run)
                self.assertEqual(run.stdout, "")
                self.assertIn(message, run.stderr)
                self.assertNotIn("Traceback", run.stderr)

    def test_divergence_is_reported_not_printed_as_nan(self):
        run = train(self.args + ["--epochs", "1", "--lr", "1e12"], work_dir=self.dir("nan"))
        self.assertEqual(run.code, 3, run)
        self.assertIn("training diverged", run.stderr)
        self.assertNotIn("NaN", run.stdout)

    def test_sigterm_keeps_the_last_checkpoint_and_exits_143(self):
        w = self.dir("sigterm")
        proc = start(self.args + ["--epochs", "4", "--work-dir", w])
        try:
            line = read_line_within(proc.stdout, 120)
            self.assertIn('"hwnas":"report","epoch":1', line)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 143, err)
        self.assertIn("SIGTERM received", err)
        self.assertNotIn('"final"', out)
        saved = torch.load(os.path.join(w, "checkpoint.pt"))
        self.assertGreaterEqual(saved["epoch"], 1)  # epoch 1 was reported, so it was on disk already
        self.assertEqual(saved["history"][0], json.loads(line)["metrics"])
        self.assertEqual(sorted(os.listdir(w)), ["checkpoint.pt", "trainer.lock"])  # no temporary file left behind
        resumed = train(self.args + ["--epochs", str(saved["epoch"] + 1)], work_dir=w)
        self.assertEqual(resumed.code, 0, resumed)
        self.assertEqual(resumed.protocol[0], {"hwnas": "resumed", "epoch": saved["epoch"]})
        self.assertIn(f"resumed from the checkpoint of epoch {saved['epoch']}", resumed.stderr)


if __name__ == "__main__":
    unittest.main()
