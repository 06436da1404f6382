"""The one-shot search program run as a worker runs it: a real subprocess, a trial file, JSON lines."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from hwnas_trainer.synthetic import spurious_domains  # noqa: E402

SEARCH = os.path.join(ROOT, 'oneshot', 'search.py')
PYTHON = '/usr/bin/python3'
NB201_OPS = ('none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3')
# a cost per op (the same on every edge): convolutions dear, pooling and skip cheap
COSTS = [[0.0, 0.05, 0.5, 2.0, 0.2]] * 6


class SearchProgram(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.data = os.path.join(cls.tmp.name, 'multi.npz')
        np.savez(cls.data, **spurious_domains(48, 3, 3, 16, seed=0, held_out=2))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def write_trial(self, name, method, epochs, extra, work):
        opts = {'method': method, 'costTable': COSTS, 'costWeight': 0.0, 'alphaLr': 0.05, 'criticEpochs': 1, 'generatorWidth': 4}
        opts.update(extra or {})
        trial = {'contract': 'hwnas.trainer/v1', 'searchId': 's', 'trialId': 0, 'space': 'nb201', 'dataset': 'cifar10',
                 'fidelity': {'epochs': epochs}, 'seed': 7, 'workDir': work, 'options': opts}
        path = os.path.join(self.tmp.name, f'{name}.json')
        with open(path, 'w') as f:
            json.dump(trial, f)
        return path

    def run_search(self, name, method, epochs, extra=None, work=None, data=None):
        path = self.write_trial(name, method, epochs, extra, work or os.path.join(self.tmp.name, name))
        env = dict(os.environ, HWNAS_TRIAL_FILE=path)
        p = subprocess.run([PYTHON, SEARCH, '--data', data or self.data, '--width', '4', '--cells', '1', '--batch-size', '16'],
                           env=env, capture_output=True, text=True, timeout=300)
        lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith('{')]
        return p, lines

    def check_finished(self, p, lines, epochs):
        self.assertEqual(p.returncode, 0, p.stderr)
        reports = [l for l in lines if l['hwnas'] == 'report']
        final = [l for l in lines if l['hwnas'] == 'final']
        self.assertEqual([r['epoch'] for r in reports][-1], epochs)
        self.assertEqual(len(final), 1)
        self.assertIs(lines[-1], final[0])
        enc = final[0]['arch']['encoding']
        self.assertEqual(len(enc), 6)
        self.assertTrue(all(0 <= o < 5 for o in enc))
        self.assertEqual(final[0]['arch']['string'], '|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|'.format(*[NB201_OPS[o] for o in enc]))
        for r in reports:
            for k in ('train_loss', 'valid_accuracy', 'entropy', 'expected_cost'):
                self.assertIn(k, r['metrics'])
        return reports, final[0]

    def test_darts_finishes_with_a_valid_architecture_and_progress(self):
        p, lines = self.run_search('darts', 'darts', 2)
        reports, _ = self.check_finished(p, lines, 2)
        self.assertEqual(len(reports), 2)

    def test_na_darts_finishes(self):
        p, lines = self.run_search('na', 'na-darts', 1, {'neighbours': 2})
        self.check_finished(p, lines, 1)

    def test_nas_ood_finishes_and_reports_its_generator_losses(self):
        p, lines = self.run_search('ood', 'nas-ood', 1)
        reports, _ = self.check_finished(p, lines, 1)
        self.assertIn('cycle_loss', reports[0]['metrics'])
        self.assertIn('ot_distance', reports[0]['metrics'])

    def test_resumes_from_its_checkpoint_and_matches_an_uninterrupted_run(self):
        work = os.path.join(self.tmp.name, 'resume')
        trial = self.write_trial('r1', 'darts', 2, None, work)
        env = dict(os.environ, HWNAS_TRIAL_FILE=trial)
        proc = subprocess.Popen([PYTHON, SEARCH, '--data', self.data, '--width', '4', '--cells', '1', '--batch-size', '16'],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in proc.stdout:  # killed (SIGKILL) right after its first epoch's report
            if line.startswith('{') and json.loads(line)['hwnas'] == 'report':
                proc.kill()
                break
        proc.wait()
        proc.stdout.close()
        p2, lines = self.run_search('r1', 'darts', 2, work=work)
        self.assertEqual(p2.returncode, 0, p2.stderr)
        self.assertEqual(lines[0], {'hwnas': 'resumed', 'epoch': 1})
        self.assertIn('at epoch 1', p2.stderr)
        _, straight = self.run_search('r3', 'darts', 2)
        final_resumed = [l for l in lines if l['hwnas'] == 'final'][0]
        final_straight = [l for l in straight if l['hwnas'] == 'final'][0]
        self.assertEqual(final_resumed['arch'], final_straight['arch'])
        self.assertEqual(final_resumed['metrics'], final_straight['metrics'])

    def test_its_worker_gone_it_stops_and_a_retry_resumes_from_its_checkpoint(self):
        """The stdin lifeline and the work-dir lock of hwnas_trainer/lifeline.py, as train.py has them."""
        work = os.path.join(self.tmp.name, 'orphan')
        trial = self.write_trial('orphan', 'darts', 3, None, work)
        env = dict(os.environ, HWNAS_TRIAL_FILE=trial, HWNAS_STDIN_LIFELINE='1')
        proc = subprocess.Popen([PYTHON, SEARCH, '--data', self.data, '--width', '4', '--cells', '1', '--batch-size', '16'],
                                env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in proc.stdout:
            if line.startswith('{') and json.loads(line)['hwnas'] == 'report':
                break
        with open(os.path.join(work, 'trainer.lock')) as f:
            self.assertEqual(f.read().strip(), str(proc.pid))
        proc.stdin.close()  # what a SIGKILLed worker leaves its trainer with
        self.assertEqual(proc.wait(timeout=30), 143)
        self.assertIn('the worker is gone', proc.stderr.read())
        proc.stdout.close()
        proc.stderr.close()
        p2, lines = self.run_search('orphan', 'darts', 3, work=work)
        self.assertEqual(p2.returncode, 0, p2.stderr)
        self.assertEqual(lines[0]['hwnas'], 'resumed')
        self.assertGreaterEqual(lines[0]['epoch'], 1)

    def test_a_heavier_cost_weight_derives_a_cheaper_architecture(self):
        _, light = self.run_search('w0', 'darts', 2, {'costWeight': 0.0})
        _, heavy = self.run_search('w5', 'darts', 2, {'costWeight': 5.0})
        cost = lambda lines: [l for l in lines if l['hwnas'] == 'final'][0]['metrics']['expected_cost']
        self.assertLess(cost(heavy), cost(light))

    def test_bad_input_exits_2_with_a_clear_message(self):
        p, _ = self.run_search('bad-method', 'gdas', 1)
        self.assertEqual(p.returncode, 2)
        self.assertIn("method: 'gdas' is not one of", p.stderr)
        p, _ = self.run_search('bad-table', 'darts', 1, {'costTable': [[1.0, 2.0]]})
        self.assertEqual(p.returncode, 2)
        self.assertIn('costTable is [1, 2], the space has [6, 5]', p.stderr)
        p, _ = self.run_search('bad-data', 'darts', 1, data=os.path.join(self.tmp.name, 'missing.npz'))
        self.assertEqual(p.returncode, 2)
        self.assertIn('missing.npz: no such file or directory', p.stderr)


if __name__ == '__main__':
    unittest.main()
