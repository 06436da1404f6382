"""The trainer's settings: command-line flags, the trial file of hwnas.trainer/v1, and its options.

Precedence, highest first: a flag given on the command line, the trial's `options` (free-form,
from the search spec), the defaults below (NAS-Bench-201's CIFAR schedule). Without
HWNAS_TRIAL_FILE (a run by hand) --arch and --epochs say what to train.
"""

import argparse
import json
import os

from .errors import InvalidArgumentError
from .ir import SPACES
from .lifeline import LIFELINE_ENV
from .protocol import CONTRACT

# Tunable settings: name -> (type, default, help). Each is a flag (--batch-size) and an option key
# (batch_size or batch-size).
TUNABLE = {
    "data": (str, None, "CIFAR pickle-batch directory, a directory with one .npz, or an .npz file"),
    "width": (int, None, "nb201: channels of the first stage, C (default 16, the benchmark's)"),
    "cells": (int, None, "nb201: cells per stage, N (default 5, the benchmark's)"),
    "batch_size": (int, 256, "training batch size"),
    "lr": (float, 0.1, "initial learning rate of the cosine schedule"),
    "momentum": (float, 0.9, "SGD momentum"),
    "weight_decay": (float, 5e-4, "SGD weight decay"),
    "nesterov": (bool, True, "Nesterov momentum"),
    "schedule_epochs": (int, 200, "cosine horizon in epochs; 0 = the trial's fidelity (see README)"),
    "valid_fraction": (float, 0.1, "fraction of the training images held out for validation; 0 = use the test split"),
    "split_seed": (int, 0, "seed of the train/valid split (the same for every trial)"),
    "threads": (int, None, "CPU threads for PyTorch (default: PyTorch's choice)"),
    "device": (str, "auto", "auto (CUDA when present), cpu or cuda"),
}


def parse_bool(text):
    if isinstance(text, bool):
        return text
    if str(text).lower() in ("1", "true", "yes", "on"):
        return True
    if str(text).lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def build_parser():
    p = argparse.ArgumentParser(
        prog="train.py",
        description="Reference PyTorch trainer of hwnas (contract hwnas.trainer/v1). Trains the architecture of "
                    "HWNAS_TRIAL_FILE, or of --arch when run by hand.")
    for name, (typ, default, help_) in TUNABLE.items():
        shown = f" (default {default})" if default is not None else ""
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=parse_bool if typ is bool else typ, default=None,
                       help=help_ + shown)
    hand = p.add_argument_group("without HWNAS_TRIAL_FILE (a run by hand)")
    hand.add_argument("--space", choices=SPACES, default="nb201")
    hand.add_argument("--dataset", default=None, help="the dataset the network is built for (default cifar10 for "
                                                      "nb201, cifar100 for fbnet)")
    hand.add_argument("--arch", default=None, help="architecture string of the space")
    hand.add_argument("--epochs", type=int, default=None, help="epochs to reach")
    hand.add_argument("--seed", type=int, default=0)
    hand.add_argument("--work-dir", default=None, help="checkpoint directory (default: the current directory)")
    return p


class Settings:
    """Everything one run needs, resolved and checked."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _field(trial, key, types, where, check=None):
    if key not in trial:
        raise InvalidArgumentError(f'{where}: missing field "{key}"')
    v = trial[key]
    if isinstance(v, bool) and bool not in types or not isinstance(v, types) or (check and not check(v)):
        raise InvalidArgumentError(f'{where}: field "{key}" has a bad value {v!r}')
    return v


def _options(options, where):
    out = {}
    if not isinstance(options, dict):
        raise InvalidArgumentError(f'{where}: "options" must be an object')
    for key, value in options.items():
        name = key.replace("-", "_")
        if name not in TUNABLE:
            raise InvalidArgumentError(f'{where}: unknown trainer option "{key}"; known: {", ".join(TUNABLE)}')
        typ = TUNABLE[name][0]
        try:
            if typ is bool:
                value = parse_bool(value)
            elif typ is int and (isinstance(value, bool) or not float(value).is_integer()):
                raise ValueError(value)
            else:
                value = typ(value) if typ is not int else int(value)
        except (ValueError, TypeError, argparse.ArgumentTypeError):
            kind = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}[typ]
            raise InvalidArgumentError(f'{where}: trainer option "{key}" must be {kind}, got {value!r}') from None
        out[name] = value
    return out


def resolve(argv, environ):
    """Settings from argv (without the program name) and the environment."""
    args = build_parser().parse_args(argv)
    trial_file = environ.get("HWNAS_TRIAL_FILE")
    options = {}
    if trial_file:
        where = f"HWNAS_TRIAL_FILE {trial_file}"
        try:
            with open(trial_file, encoding="utf-8") as fh:
                trial = json.load(fh)
        except OSError as e:
            raise InvalidArgumentError(f"{where}: cannot read it ({e.strerror})") from None
        except ValueError as e:
            raise InvalidArgumentError(f"{where}: not valid JSON ({e})") from None
        if not isinstance(trial, dict):
            raise InvalidArgumentError(f"{where}: must hold a JSON object")
        contract = trial.get("contract")
        if contract != CONTRACT:
            raise InvalidArgumentError(f'{where}: contract is {contract!r}; this trainer implements "{CONTRACT}"')
        space = _field(trial, "space", str, where, lambda s: s in SPACES)
        dataset = _field(trial, "dataset", str, where)
        arch = _field(trial, "arch", dict, where)
        arch_string = arch.get("string")
        encoding = arch.get("encoding")
        if arch_string is None and encoding is None:
            raise InvalidArgumentError(f'{where}: "arch" needs "string" or "encoding"')
        fidelity = _field(trial, "fidelity", dict, where)
        epochs = _field(fidelity, "epochs", int, where + " fidelity", lambda e: e >= 1)
        seed = _field(trial, "seed", int, where)
        work_dir = trial.get("workDir") or environ.get("HWNAS_WORK_DIR") or os.getcwd()
        ir = trial.get("ir")
        options = _options(trial.get("options", {}), where)
        label = f"search {trial.get('searchId', '?')} trial {trial.get('trialId', '?')}"
    else:
        if args.arch is None or args.epochs is None:
            raise InvalidArgumentError("HWNAS_TRIAL_FILE is not set, so --arch and --epochs are required")
        if args.epochs < 1:
            raise InvalidArgumentError(f"--epochs must be at least 1, got {args.epochs}")
        space, arch_string, encoding, ir = args.space, args.arch, None, None
        dataset = args.dataset or ("cifar10" if space == "nb201" else "cifar100")
        epochs, seed = args.epochs, args.seed
        work_dir = args.work_dir or os.getcwd()
        label = "run by hand"
    values = {}
    for name, (_, default, _) in TUNABLE.items():
        flag = getattr(args, name)
        values[name] = flag if flag is not None else options.get(name, default)
    if values["data"] is None:
        raise InvalidArgumentError("no data: pass --data DIR (or the trial option \"data\")")
    for name in ("batch_size", "threads"):
        if values[name] is not None and values[name] < 1:
            raise InvalidArgumentError(f"--{name.replace('_', '-')} must be at least 1, got {values[name]}")
    if values["lr"] <= 0 or values["weight_decay"] < 0 or not 0 <= values["momentum"] < 1:
        raise InvalidArgumentError("--lr must be > 0, --weight-decay >= 0 and --momentum in [0, 1)")
    if values["schedule_epochs"] < 0:
        raise InvalidArgumentError(f"--schedule-epochs must be >= 0, got {values['schedule_epochs']}")
    if values["schedule_epochs"] and epochs > values["schedule_epochs"]:
        raise InvalidArgumentError(f"the trial asks for {epochs} epochs, past the cosine horizon --schedule-epochs "
                                   f"{values['schedule_epochs']}; raise it (or pass 0 to anneal over the fidelity)")
    if values["device"] not in ("auto", "cpu", "cuda"):
        raise InvalidArgumentError(f"--device must be auto, cpu or cuda, got {values['device']!r}")
    return Settings(space=space, dataset=dataset, arch_string=arch_string, encoding=encoding, ir=ir, epochs=epochs,
                    seed=seed, work_dir=os.path.abspath(work_dir), label=label,
                    traceparent=environ.get("TRACEPARENT"), lifeline=environ.get(LIFELINE_ENV) == "1", **values)
