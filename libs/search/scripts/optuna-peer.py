#!/usr/bin/python3
"""Optuna 3.1 samplers on the search-benchmark tasks C and P (bench/TASKS.md), as peers of hwnas's strategies.

Runs each sampler on NAS-Bench-201 CIFAR-10 for each latency column and seed, and writes the benchmark
indices of the first N DISTINCT architectures each run evaluated, in order, with the CPU time of the run.
`hwnas bench-search --peers FILE` scores these sequences with the same regret and hypervolume code as its
own strategies, so both answer the same question.

Repeats are free, as TASKS.md defines the budget: a trial that proposes an architecture already evaluated
gets the cached value back and is not counted. A run stops at N distinct architectures, or after 50 N
trials in all (then it is reported as short).

Usage: /usr/bin/python3 libs/search/scripts/optuna-peer.py --data DIR --out FILE
         [--devices raspi4_latency,pixel3_latency] [--seeds 0-29] [--budget-c 500] [--budget-p 1000]
         [--samplers tpe,nsga2,random] [--tasks C,P]
Task C samplers: tpe (multivariate TPE with constraints_func), nsga2, random.
Task P samplers: tpe (MOTPE: TPE with two directions), nsga2, random.
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import optuna

EDGES = 6


def load(data_dir):
    archs = json.load(open(os.path.join(data_dir, 'hw-nas-bench', 'nb201-archs.json')))
    index_of = {tuple(v): i for i, v in enumerate(archs['op_vectors'])}
    ops = archs['op_names']
    records = json.load(open(os.path.join(data_dir, 'hw-nas-bench', 'nb201-cifar10.json')))['records']
    acc = json.load(open(os.path.join(data_dir, 'nas-bench-201', 'nb201-accuracy-200ep.json')))['archs']
    n = len(archs['op_vectors'])
    accuracy = np.full(n, np.nan)
    for v in acc.values():
        accuracy[v['index']] = v['cifar10']['test_acc']
    costs = {}
    for r in records:
        for k, v in r.items():
            if k.endswith('_latency'):
                costs.setdefault(k, np.full(n, np.nan))[r['index']] = v
    return ops, index_of, accuracy, costs


def make_sampler(name, seed, task, constraints):
    if name == 'tpe':
        # multivariate TPE; with two directions this is MOTPE in Optuna 3.x
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constraints_func=constraints)
    if name == 'nsga2':
        return optuna.samplers.NSGAIISampler(seed=seed, constraints_func=constraints)
    if name == 'random':
        return optuna.samplers.RandomSampler(seed=seed)
    raise SystemExit(f'unknown sampler "{name}" (tpe, nsga2, random)')


def run(task, sampler_name, seed, budget, ops, index_of, accuracy, cost, threshold):
    evaluated = []
    cache = {}

    def value(index):
        if index not in cache:
            cache[index] = (float(accuracy[index]), float(cost[index]))
            evaluated.append(index)
        return cache[index]

    def objective(trial):
        vec = tuple(ops.index(trial.suggest_categorical(f'edge{k}', ops)) for k in range(EDGES))
        a, c = value(index_of[vec])
        trial.set_user_attr('violation', c - threshold if threshold is not None else 0.0)
        return a if task == 'C' else (a, c)

    constraints = (lambda t: [t.user_attrs['violation']]) if task == 'C' else None
    sampler = make_sampler(sampler_name, seed, task, constraints)
    directions = ['maximize'] if task == 'C' else ['maximize', 'minimize']
    study = optuna.create_study(directions=directions, sampler=sampler)
    t0 = time.process_time()
    trials = 0
    while len(evaluated) < budget and trials < 50 * budget:
        study.optimize(objective, n_trials=1)
        trials += 1
    return evaluated[:budget], time.process_time() - t0, trials


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', default=os.environ.get('HWNAS_DATA'))
    p.add_argument('--out', required=True)
    p.add_argument('--devices', default='raspi4_latency,pixel3_latency')
    p.add_argument('--seeds', default='0-29')
    p.add_argument('--budget-c', type=int, default=500)
    p.add_argument('--budget-p', type=int, default=1000)
    p.add_argument('--samplers', default='tpe,nsga2,random')
    p.add_argument('--tasks', default='C,P')
    args = p.parse_args()
    if not args.data:
        raise SystemExit('optuna-peer: no data directory: pass --data DIR or set HWNAS_DATA')
    lo, _, hi = args.seeds.partition('-')
    seeds = list(range(int(lo), int(hi or lo) + 1))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings('ignore', category=optuna.exceptions.ExperimentalWarning)
    ops, index_of, accuracy, costs = load(args.data)
    out = {'tool': f'optuna {optuna.__version__}', 'seeds': seeds, 'runs': []}
    for device in args.devices.split(','):
        if device not in costs:
            raise SystemExit(f'optuna-peer: no cost column "{device}"; available: {", ".join(costs)}')
        cost = costs[device]
        threshold = float(np.percentile(cost, 25))
        for task in args.tasks.split(','):
            budget = args.budget_c if task == 'C' else args.budget_p
            for name in args.samplers.split(','):
                label = {'tpe': 'optuna-tpe' if task == 'C' else 'optuna-motpe', 'nsga2': 'optuna-nsga2', 'random': 'optuna-random'}[name]
                runs, cpu, short = [], [], 0
                for seed in seeds:
                    ev, seconds, trials = run(task, name, seed, budget, ops, index_of, accuracy, cost, threshold if task == 'C' else None)
                    runs.append(ev)
                    cpu.append(seconds)
                    short += len(ev) < budget
                out['runs'].append({'task': task, 'device': device, 'mode': 'joint', 'peer': label, 'budget': budget,
                                    'evaluated': runs, 'cpuSeconds': cpu, 'shortRuns': short})
                print(f'optuna-peer: task {task} {device} {label}: {len(seeds)} seeds, mean CPU {np.mean(cpu):.1f} s/run', file=sys.stderr)
                json.dump(out, open(args.out, 'w'))
    json.dump(out, open(args.out, 'w'))


if __name__ == '__main__':
    main()
