#!/usr/bin/python3
"""One-shot architecture search as an hwnas trainer (contract hwnas.trainer/v1).

Methods (trial option `method`):
- `darts`: first-order DARTS on the space's supernet; weights descend the training loss, the
  architecture logits the validation loss, alternating per batch.
- `na-darts`: as `darts`, but the architecture step descends the mean validation loss over the
  architecture and `neighbours` sampled Hamming-1 neighbours (neighbourhood-aware objective).
- `nas-ood`: single-level search on source-domain data against a conditional generator that makes
  out-of-distribution images through a gradient-reversal layer (the generator ascends the
  supernet's loss), kept label-preserving and cycle-consistent, pushed away from the source
  domains in a frozen domain classifier's embedding (Sinkhorn distance).

Every method can be hardware-aware: the trial's `costTable` ([decisions][ops], the device metric
per decision and op) gives the expected cost sum_e softmax(alpha_e) . cost_e, added to the
architecture loss as `costWeight * E[cost] / E_uniform[cost]`, or, with `costTarget`, as the
penalty `costWeight * relu(E[cost] - target) / target`.

Progress: one JSON report per epoch (losses, validation accuracy, entropy, derived architecture,
its expected cost) and a final report whose `arch` is the derived architecture. The search
checkpoints each epoch in the work dir and resumes from it. Like train.py it holds the work dir's
lock for the whole run and, under a worker (HWNAS_STDIN_LIFELINE=1), stops when its stdin closes
(hwnas_trainer/lifeline.py), so a retry on another worker resumes from a whole checkpoint.
"""

import argparse
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hwnas_trainer.data import load_dataset  # noqa: E402
from hwnas_trainer.errors import TrainerError  # noqa: E402
from hwnas_trainer.lifeline import LIFELINE_ENV, WorkDirGuard  # noqa: E402
from oneshot.generator import ConditionalGenerator, SmallConvNet, freeze  # noqa: E402
from oneshot.objectives import (derive, expected_cost, grad_reverse, mean_entropy,  # noqa: E402
                                neighbour_shifts, neighbourhood_loss, sinkhorn_distance)
from oneshot.supernet import build_supernet  # noqa: E402

CONTRACT = 'hwnas.trainer/v1'
# How long a run waits for an earlier trainer of the same trial to leave the work dir.
WORK_DIR_WAIT_SECONDS = 60
METHODS = ('darts', 'na-darts', 'nas-ood')


@dataclass
class ImageSet:
    """Normalised float images, labels and (multi-domain sets) domains, held in memory."""
    x: torch.Tensor
    y: torch.Tensor
    d: Optional[torch.Tensor]

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def subset(self, idx: torch.Tensor) -> 'ImageSet':
        return ImageSet(self.x[idx], self.y[idx], None if self.d is None else self.d[idx])


def load_images(path: str, valid_fraction: float) -> Tuple[ImageSet, ImageSet, int, int]:
    """(search set, held-out set, classes, source domains) through the trainer's data layer:
    the held-out set is the validation split (the test split when `valid_fraction` is 0)."""
    ds = load_dataset(path, valid_fraction, 0)
    train = ImageSet(ds.normalise(ds.train.x), ds.train.y, ds.train.d)
    held = ImageSet(ds.normalise(ds.valid.x), ds.valid.y, ds.valid.d)
    domains = int(train.d.max()) + 1 if train.d is not None else 1
    return train, held, ds.num_labels, domains


def emit(kind: str, **fields: Any) -> None:
    """One protocol line on stdout (non-finite numbers are refused here, not sent)."""
    line = json.dumps({'hwnas': kind, **fields}, allow_nan=False)
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


def log(msg: str) -> None:
    sys.stderr.write(msg + '\n')
    sys.stderr.flush()


class BadInput(Exception):
    pass


def read_trial() -> Dict[str, Any]:
    path = os.environ.get('HWNAS_TRIAL_FILE')
    if not path:
        raise BadInput('HWNAS_TRIAL_FILE is not set: this program is started by an hwnas worker (contract hwnas.trainer/v1)')
    try:
        with open(path) as f:
            trial = json.load(f)
    except (OSError, ValueError) as e:
        raise BadInput(f'{path}: cannot read the trial file: {e}')
    if trial.get('contract') != CONTRACT:
        raise BadInput(f'{path}: contract {trial.get("contract")!r} is not {CONTRACT}')
    for key in ('space', 'fidelity', 'seed', 'workDir'):
        if key not in trial:
            raise BadInput(f'{path}: missing "{key}"')
    return trial


def option(opts: Dict[str, Any], name: str, default: Any, kind: type) -> Any:
    v = opts.get(name, default)
    if v is None:
        return None
    try:
        return kind(v)
    except (TypeError, ValueError):
        raise BadInput(f'option {name}: expected {kind.__name__}, got {v!r}')


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def batches(n: int, size: int, gen: torch.Generator) -> List[torch.Tensor]:
    order = torch.randperm(n, generator=gen)
    return [order[i:i + size] for i in range(0, n - size + 1, size)] or [order]


@torch.no_grad()
def accuracy(net: nn.Module, alpha: torch.Tensor, data: ImageSet, batch: int = 256) -> float:
    net.eval()
    correct = 0
    for i in range(0, len(data), batch):
        logits = net(data.x[i:i + batch], alpha)
        correct += int((logits.argmax(1) == data.y[i:i + batch]).sum())
    net.train()
    return 100.0 * correct / max(1, len(data))


def one_hot_logits(encoding: List[int], shape: torch.Size, scale: float = 30.0) -> torch.Tensor:
    """Logits whose softmax is (numerically) the one-hot derived architecture."""
    a = torch.zeros(shape)
    for e, o in enumerate(encoding):
        a[e, o] = scale
    return a


class CostTerm:
    """The hardware term of the architecture loss (or nothing without a table)."""

    def __init__(self, table: Optional[List[List[float]]], shape: torch.Size, weight: float, target: Optional[float]):
        self.table = None
        if table is not None:
            t = torch.tensor(table, dtype=torch.float32)
            if t.shape != shape:
                raise BadInput(f'costTable is {list(t.shape)}, the space has {list(shape)} (decisions x ops)')
            if not torch.isfinite(t).all():
                raise BadInput('costTable holds a non-finite value')
            self.table = t
            self.reference = float(t.mean(dim=1).sum()) or 1.0
        self.weight = weight
        self.target = target

    def expected(self, alpha: torch.Tensor) -> Optional[torch.Tensor]:
        return None if self.table is None else expected_cost(alpha, self.table)

    def penalty(self, alpha: torch.Tensor) -> torch.Tensor:
        if self.table is None or self.weight == 0:
            return alpha.new_zeros(())
        ec = expected_cost(alpha, self.table)
        if self.target is not None:
            return self.weight * F.relu(ec - self.target) / self.target
        return self.weight * ec / self.reference

    def of(self, encoding: List[int]) -> Optional[float]:
        if self.table is None:
            return None
        return float(sum(self.table[e, o] for e, o in enumerate(encoding)))


def save_checkpoint(path: str, state: Dict[str, Any]) -> None:
    tmp = path + '.tmp'
    torch.save(state, tmp)
    os.replace(tmp, path)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', required=True, help='a CIFAR-style pickle-batch directory or an .npz file (d_train/d_test: domains)')
    p.add_argument('--valid-fraction', type=float, default=0.0,
                   help='share of the training images held out for accuracy reports (0: the test split)')
    p.add_argument('--width', type=float, default=None, help='NB201: channels of the first stage (16); FBNet: width multiplier (1.0)')
    p.add_argument('--cells', type=int, default=None, help='NB201: cells per stage (5)')
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--max-train', type=int, default=0, help='use at most this many training images (0 = all)')
    args = p.parse_args(argv)

    try:
        trial = read_trial()
        opts = trial.get('options') or {}
        method = str(opts.get('method', 'darts'))
        if method not in METHODS:
            raise BadInput(f'option method: {method!r} is not one of {", ".join(METHODS)}')
        epochs = int(trial['fidelity'].get('epochs', 0))
        if epochs < 1:
            raise BadInput(f'fidelity.epochs must be >= 1, got {epochs}')
        train, test, classes, domains = load_images(args.data, args.valid_fraction)
    except (BadInput, TrainerError) as e:
        log(f'error: {e}')
        return 2

    torch.set_num_threads(max(1, args.threads))
    seed = int(trial['seed'])
    seed_all(seed)
    work = trial['workDir']
    os.makedirs(work, exist_ok=True)
    ckpt_path = os.path.join(work, 'oneshot.pt')
    # Orphan protection as in train.py: one trainer per work dir (a retry waits for an earlier
    # attempt still running), and none once the worker that started it is gone.
    guard = WorkDirGuard(work)
    try:
        guard.acquire(WORK_DIR_WAIT_SECONDS)
    except TrainerError as e:
        log(f'error: {e}')
        return 2
    if os.environ.get(LIFELINE_ENV) == '1':
        guard.watch_stdin()
    try:
        return search(args, trial, opts, method, epochs, train, test, classes, domains, seed, ckpt_path, guard)
    finally:
        guard.release()


def search(args, trial, opts, method, epochs, train, test, classes, domains, seed, ckpt_path, guard) -> int:
    """The search proper, in a locked work dir; checkpoints are written inside `guard.writing()`."""

    if args.max_train and len(train) > args.max_train:
        train = train.subset(torch.arange(args.max_train))
    space = trial['space']
    dataset = trial.get('dataset', '')
    try:
        net = build_supernet(space, dataset, classes, width=args.width, cells=args.cells)
    except ValueError as e:
        log(f'error: {e}')
        return 2
    shape = torch.Size([net.decisions, net.choices])
    alpha = nn.Parameter(1e-3 * torch.randn(shape))
    try:
        cost = CostTerm(opts.get('costTable'), shape, option(opts, 'costWeight', 0.0, float), option(opts, 'costTarget', None, float))
        neighbours = option(opts, 'neighbours', 4, int)
        strength = option(opts, 'neighbourStrength', 2.0, float)
        w_lr = option(opts, 'weightLr', 0.025, float)
        a_lr = option(opts, 'alphaLr', 3e-3, float)
    except BadInput as e:
        log(f'error: {e}')
        return 2

    # DARTS splits the training set in two: weights learn on one half, the architecture on the other.
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(train), generator=gen)
    half = len(train) // 2
    w_set, a_set = (train, train) if method == 'nas-ood' else (train.subset(perm[:half]), train.subset(perm[half:]))

    w_opt = torch.optim.SGD(net.parameters(), lr=w_lr, momentum=0.9, weight_decay=3e-4)
    w_sched = torch.optim.lr_scheduler.CosineAnnealingLR(w_opt, T_max=epochs, eta_min=w_lr * 0.04)
    a_opt = torch.optim.Adam([alpha], lr=a_lr, betas=(0.5, 0.999), weight_decay=1e-3)

    gen_net = concept = classifier = g_opt = None
    if method == 'nas-ood':
        if train.d is None:
            log('error: nas-ood needs domain labels (d_train) in the image set')
            return 2
        channels = train.x.shape[1]
        gen_net = ConditionalGenerator(domains + 1, channels=channels, width=option(opts, 'generatorWidth', 16, int))
        concept = SmallConvNet(domains, channels)
        classifier = SmallConvNet(classes, channels)
        g_opt = torch.optim.Adam(gen_net.parameters(), lr=option(opts, 'generatorLr', 1e-4, float), betas=(0.5, 0.999))
    lam_cyc = option(opts, 'lambdaCycle', 10.0, float)
    lam_ot = option(opts, 'lambdaOT', 0.01, float)
    lam_ce = option(opts, 'lambdaCE', 0.01, float)
    synthetic_ratio = option(opts, 'syntheticRatio', 0.5, float)

    start = 0
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        if state.get('method') != method or state.get('space') != space:
            log(f'error: {ckpt_path} holds a {state.get("method")} search of {state.get("space")}, not {method} of {space}')
            return 2
        net.load_state_dict(state['net'])
        alpha.data.copy_(state['alpha'])
        w_opt.load_state_dict(state['w_opt'])
        a_opt.load_state_dict(state['a_opt'])
        w_sched.load_state_dict(state['w_sched'])
        w_sched.T_max = epochs  # a search continued to more epochs stretches its cosine to the new end
        gen.set_state(state['gen'])
        torch.set_rng_state(state['torch_rng'])
        if gen_net is not None:
            gen_net.load_state_dict(state['generator'])
            concept.load_state_dict(state['concept'])
            classifier.load_state_dict(state['classifier'])
            g_opt.load_state_dict(state['g_opt'])
        start = int(state['epoch'])
        emit('resumed', epoch=start)
        log(f'resumed the {method} search from its checkpoint at epoch {start}')

    if gen_net is not None:
        critic_epochs = option(opts, 'criticEpochs', 2, int)
        if start == 0:
            # The critics are trained once, before the search, then frozen.
            for critic, target in ((concept, train.d), (classifier, train.y)):
                opt = torch.optim.Adam(critic.parameters(), lr=1e-3)
                for _ in range(critic_epochs):
                    for idx in batches(len(train), args.batch_size, gen):
                        opt.zero_grad()
                        F.cross_entropy(critic(train.x[idx]), target[idx]).backward()
                        opt.step()
        freeze(concept)
        freeze(classifier)

    for epoch in range(start, epochs):
        t0 = time.time()
        losses: Dict[str, float] = {'train_loss': 0.0}
        steps = 0
        w_batches = batches(len(w_set), args.batch_size, gen)
        a_batches = batches(len(a_set), args.batch_size, gen)
        for bi, w_idx in enumerate(w_batches):
            if method == 'nas-ood':
                x, y, d = w_set.x[w_idx], w_set.y[w_idx], w_set.d[w_idx]
                novel = torch.full_like(d, domains)
                fake = gen_net(x, d, novel)
                back = gen_net(fake, novel, d)
                n_syn = max(1, int(round(synthetic_ratio * len(y))))
                mixed = torch.cat([grad_reverse(fake[:n_syn]), x[n_syn:]])
                sup = F.cross_entropy(net(mixed, alpha), y)
                cyc = (back - x).abs().mean()
                ot = sinkhorn_distance(concept.embed(fake), concept.embed(x))
                keep = F.cross_entropy(classifier(fake), y)
                g_loss = lam_cyc * cyc - lam_ot * ot + lam_ce * keep
                total = sup + cost.penalty(alpha) + g_loss
                w_opt.zero_grad()
                a_opt.zero_grad()
                g_opt.zero_grad()
                total.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 5.0)
                w_opt.step()
                a_opt.step()
                g_opt.step()
                losses['train_loss'] += float(sup)
                losses['cycle_loss'] = losses.get('cycle_loss', 0.0) + float(cyc)
                losses['ot_distance'] = losses.get('ot_distance', 0.0) + float(ot)
            else:
                a_idx = a_batches[bi % len(a_batches)]
                xa, ya = a_set.x[a_idx], a_set.y[a_idx]

                def val_loss(al: torch.Tensor) -> torch.Tensor:
                    return F.cross_entropy(net(xa, al), ya)

                a_opt.zero_grad()
                if method == 'na-darts':
                    shifts = neighbour_shifts(alpha, neighbours, strength, gen)
                    a_loss = neighbourhood_loss(val_loss, alpha, shifts)
                else:
                    a_loss = val_loss(alpha)
                (a_loss + cost.penalty(alpha)).backward()
                a_opt.step()
                losses['valid_loss'] = losses.get('valid_loss', 0.0) + float(a_loss)

                x, y = w_set.x[w_idx], w_set.y[w_idx]
                w_opt.zero_grad()
                loss = F.cross_entropy(net(x, alpha.detach()), y)
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 5.0)
                w_opt.step()
                losses['train_loss'] += float(loss)
            steps += 1
        w_sched.step()
        arch = derive(alpha)
        metrics = {k: v / max(1, steps) for k, v in losses.items()}
        metrics['valid_accuracy'] = accuracy(net, alpha.detach(), test)
        metrics['derived_accuracy'] = accuracy(net, one_hot_logits(arch, shape), test)
        metrics['entropy'] = mean_entropy(alpha)
        ec = cost.expected(alpha.detach())
        if ec is not None:
            metrics['expected_cost'] = float(ec)
            metrics['derived_cost'] = cost.of(arch)
        metrics['epoch_seconds'] = time.time() - t0
        bad = [k for k, v in metrics.items() if not math.isfinite(v)]
        if bad:
            log(f'error: non-finite {", ".join(bad)} at epoch {epoch + 1}; the search diverged')
            return 3
        state = {'epoch': epoch + 1, 'method': method, 'space': space, 'net': net.state_dict(), 'alpha': alpha.detach().clone(),
                 'w_opt': w_opt.state_dict(), 'a_opt': a_opt.state_dict(), 'w_sched': w_sched.state_dict(),
                 'gen': gen.get_state(), 'torch_rng': torch.get_rng_state()}
        if gen_net is not None:
            state.update(generator=gen_net.state_dict(), concept=concept.state_dict(), classifier=classifier.state_dict(), g_opt=g_opt.state_dict())
        with guard.writing():
            save_checkpoint(ckpt_path, state)
        emit('report', epoch=epoch + 1, metrics=metrics,
             arch={'string': net.format(arch), 'encoding': arch}, alpha=[[round(float(v), 5) for v in row] for row in alpha.detach()])

    arch = derive(alpha)
    final = {'accuracy': accuracy(net, one_hot_logits(arch, shape), test), 'valid_accuracy': accuracy(net, alpha.detach(), test),
             'entropy': mean_entropy(alpha)}
    ec = cost.expected(alpha.detach())
    if ec is not None:
        final['expected_cost'] = float(ec)
        final['derived_cost'] = cost.of(arch)
    emit('final', epoch=epochs, metrics=final, arch={'string': net.format(arch), 'encoding': arch})
    return 0


if __name__ == '__main__':
    sys.exit(main())
