#!/usr/bin/python3
"""NAS-OoD against a fixed-architecture ERM baseline on a synthetic multi-domain set with a held-out
domain (a class-coloured cue is spurious: it predicts the label in the training domains only).

For each seed: (1) ERM: a fixed, strong NB201 cell trained on the source domains; (2) DARTS: the
architecture a plain first-order DARTS search derives, retrained from scratch by ERM; (3) NAS-OoD:
the architecture the NAS-OoD search derives, retrained from scratch by ERM. All three are tested on
the held-out domain. Writes a markdown table (stdout, or --out FILE).

  OMP_NUM_THREADS=1 nice /usr/bin/python3 trainers/pytorch/oneshot/experiments/ood_vs_erm.py --seeds 0,1,2 --out docs/benchmarks/nas-ood.md
"""
import argparse
import shlex
import contextlib
import io
import json
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from oneshot import search  # noqa: E402
from hwnas_trainer.synthetic import spurious_domains  # noqa: E402
from oneshot.search import one_hot_logits  # noqa: E402
from oneshot.supernet import NB201Supernet, nb201_format  # noqa: E402

FIXED = [3, 3, 3, 1, 3, 3]  # |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|

# Why the defaults are what they are; printed on the page under the set's description.
SETTING_WHY = (
    'Why this setting: with the set\'s own defaults (pattern 1, cue 1.5, 90 % agreement) the ERM baseline reached '
    '100.0 % on the held-out domain for seeds 0, 1 and 2, so the shift tested nothing. The setting was chosen by looking '
    'at the ERM baseline alone (`--erm-only`, same script), never at the searches: pattern 0.5 with 95 % agreement gave '
    'ERM 81.3 / 75.7 / 33.3 % (seeds 0 / 1 / 2), below 100 % on every seed and above chance (25 %) on average. '
    'The other settings tried, on ERM alone: a perfectly agreeing cue (`--spurious 1.0`) left ERM at chance (24.3 %, '
    'seed 0); pattern 0.4 gave 98.7 / 80.3 / 48.7 %; pattern 0.3 gave 54.3 / 46.3 / 20.3 %; a noisier held-out domain '
    '(`--held-out-noise 1.5`) or a stronger tint (`--cue 3`) left seed 0 at 100.0 / 99.3 %.')


def train_fixed(encoding, train, test, classes, epochs, seed, width, cells, batch):
    """A network of one architecture trained from scratch by ERM (the supernet with its logits
    frozen one-hot, so that every architecture is trained by the same code)."""
    torch.manual_seed(seed)
    net = NB201Supernet(classes, width=width, cells=cells)
    alpha = one_hot_logits(encoding, torch.Size([6, 5]))
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(train), generator=gen)
        for i in range(0, len(train) - batch + 1, batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            F.cross_entropy(net(train.x[idx], alpha), train.y[idx]).backward()
            opt.step()
        sched.step()
    return search.accuracy(net, alpha, test)


def run_search(method, npz, work, seed, epochs, width, cells, threads):
    trial = {'contract': 'hwnas.trainer/v1', 'searchId': 'ood', 'trialId': 0, 'space': 'nb201', 'dataset': 'synthetic',
             'fidelity': {'epochs': epochs}, 'seed': seed, 'workDir': work,
             'options': {'method': method, 'alphaLr': 0.01, 'syntheticRatio': 0.5, 'criticEpochs': 2, 'generatorWidth': 8}}
    path = work + '.json'
    with open(path, 'w') as f:
        json.dump(trial, f)
    os.environ['HWNAS_TRIAL_FILE'] = path
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = search.main(['--data', npz, '--width', str(width), '--cells', str(cells), '--batch-size', '32',
                            '--threads', str(threads)])
    if code != 0:
        raise RuntimeError(f'{method} search failed with exit {code}')
    final = [json.loads(l) for l in out.getvalue().splitlines() if l.startswith('{')][-1]
    return final['arch']['encoding']


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--seeds', default='0,1,2')
    p.add_argument('--search-epochs', type=int, default=6)
    p.add_argument('--train-epochs', type=int, default=8)
    p.add_argument('--width', type=int, default=8)
    p.add_argument('--cells', type=int, default=1)
    p.add_argument('--per-domain', type=int, default=300)
    p.add_argument('--spurious', type=float, default=0.95, help='share of training images whose tint is the class colour')
    p.add_argument('--pattern', type=float, default=0.5, help='amplitude of the invariant class pattern')
    p.add_argument('--cue', type=float, default=1.5, help='amplitude of the spurious class tint')
    p.add_argument('--held-out-noise', type=float, default=None, help='pixel-noise std of the held-out domain (default 0.8)')
    p.add_argument('--threads', type=int, default=1, help='torch intra-op threads (the machine is shared)')
    p.add_argument('--erm-only', action='store_true', help='train the ERM baseline only (to choose the setting without the searches)')
    p.add_argument('--out', default='')
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    started, load_before = time.time(), os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in [int(s) for s in args.seeds.split(',')]:
            npz = os.path.join(tmp, f'domains-{seed}.npz')
            np.savez(npz, **spurious_domains(args.per_domain, 4, 4, 16, seed=seed, held_out=3, spurious=args.spurious,
                                             pattern_amplitude=args.pattern, cue_amplitude=args.cue,
                                             held_out_noise=args.held_out_noise))
            train, test, classes, _ = search.load_images(npz, 0.0)
            t0 = time.time()
            row = {'seed': seed}
            row['erm'] = train_fixed(FIXED, train, test, classes, args.train_epochs, seed, args.width, args.cells, 32)
            if args.erm_only:
                sys.stdout.write(json.dumps(row) + '\n')
                continue
            for method in ('darts', 'nas-ood'):
                enc = run_search(method, npz, os.path.join(tmp, f'{method}-{seed}'), seed, args.search_epochs, args.width, args.cells,
                                 args.threads)
                row[method + '_arch'] = nb201_format(enc)
                row[method] = train_fixed(enc, train, test, classes, args.train_epochs, seed, args.width, args.cells, 32)
            row['seconds'] = time.time() - t0
            rows.append(row)
            sys.stderr.write(json.dumps(row) + '\n')
    if args.erm_only:
        return
    mean = lambda k: float(np.mean([r[k] for r in rows]))
    std = lambda k: float(np.std([r[k] for r in rows]))
    wall, load_after = time.time() - started, os.getloadavg()
    command = ' '.join(['OMP_NUM_THREADS=1 nice /usr/bin/python3 trainers/pytorch/oneshot/experiments/ood_vs_erm.py'] + [shlex.quote(a) for a in sys.argv[1:]])
    held_noise = '0.8' if args.held_out_noise is None else f'{args.held_out_noise:g}'
    lines = [
        '# NAS-OoD against fixed-architecture ERM (synthetic, held-out domain)',
        '',
        f'Generated by `{command}` in {wall:.0f} s wall time on one thread '
        f'(1-minute load average {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end).',
        '',
        f'Set (`spurious_domains`, seeds {args.seeds}): 4 domains x {args.per_domain} images, 16x16, 4 classes; domain 3 held out. '
        f'The invariant cue is a per-class smooth pattern of amplitude {args.pattern:g}; a class tint of amplitude {args.cue:g} '
        f'agrees with the label in {args.spurious:.0%} of the training images and is random in the held-out domain '
        f'(pixel-noise std {held_noise} there).',
        f'Searches: {args.search_epochs} epochs on the NB201 supernet (width {args.width}, {args.cells} cell per stage). Every '
        f'architecture is then trained from scratch by ERM for {args.train_epochs} epochs on the source domains and tested on the held-out domain.',
        '',
        SETTING_WHY,
        '',
        '| seed | ERM, fixed cell | DARTS arch | DARTS, held-out acc % | NAS-OoD arch | NAS-OoD, held-out acc % |',
        '| ---: | ---: | --- | ---: | --- | ---: |',
    ]
    for r in rows:
        cell = lambda arch: '`' + arch.replace('|', '\\|') + '`'  # a pipe would end the table cell
        lines.append(f"| {r['seed']} | {r['erm']:.1f} | {cell(r['darts_arch'])} | {r['darts']:.1f} | {cell(r['nas-ood_arch'])} | {r['nas-ood']:.1f} |")
    lines.append(f"| mean (std) | {mean('erm'):.1f} ({std('erm'):.1f}) | | {mean('darts'):.1f} ({std('darts'):.1f}) | | {mean('nas-ood'):.1f} ({std('nas-ood'):.1f}) |")
    lines.append('')
    per_seed = ', '.join(f"{r['seconds']:.0f}" for r in rows)
    lines.append(f'Per seed, the whole comparison (ERM, two searches, two retrainings) took {per_seed} s.')
    lines.append('')
    text = '\n'.join(lines) + '\n'
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text)
    sys.stdout.write(text)


if __name__ == '__main__':
    main()
