"""A trial whose options name a one-shot `method` (darts, na-darts, nas-ood) is a whole supernet
search, not the training of one architecture: train.py hands it to oneshot/search.py, so that one
worker command (`train.py --data DIR ...`) serves both kinds of task."""

import json
import os

from .errors import InvalidArgumentError

# train.py flags that mean the same to oneshot/search.py (settings name -> its flag there).
SHARED_FLAGS = {
    "data": "--data",
    "width": "--width",
    "cells": "--cells",
    "batch_size": "--batch-size",
    "threads": "--threads",
    "valid_fraction": "--valid-fraction",
}


def is_one_shot_trial(environ):
    """Whether HWNAS_TRIAL_FILE holds a trial whose options carry `method` (an unreadable file is
    left to the ordinary settings, which say what is wrong with it)."""
    path = environ.get("HWNAS_TRIAL_FILE")
    if not path:
        return False
    try:
        with open(path, encoding="utf-8") as fh:
            trial = json.load(fh)
    except (OSError, ValueError):
        return False
    options = trial.get("options") if isinstance(trial, dict) else None
    return isinstance(options, dict) and "method" in options


def search_argv(argv):
    """oneshot/search.py's arguments for train.py's `argv`; a flag that means nothing to a one-shot
    search is refused by name rather than silently dropped."""
    from .settings import build_parser
    args = build_parser().parse_args(argv)
    out = []
    for name, value in vars(args).items():
        if name in SHARED_FLAGS:
            if value is not None:
                out += [SHARED_FLAGS[name], str(value)]
        elif value is not None and value != build_parser().get_default(name):
            raise InvalidArgumentError(f"--{name.replace('_', '-')} does not apply to a one-shot trial (options.method); "
                                       f"it takes {', '.join(SHARED_FLAGS.values())}")
    return out


def run_one_shot(argv, environ):
    """Runs the one-shot search of the trial file in this process; returns its exit status."""
    from oneshot import search
    forwarded = search_argv(argv)
    saved = os.environ.get("HWNAS_TRIAL_FILE")
    os.environ["HWNAS_TRIAL_FILE"] = environ["HWNAS_TRIAL_FILE"]
    try:
        return search.main(forwarded)
    finally:
        if saved is None:
            os.environ.pop("HWNAS_TRIAL_FILE", None)
        else:
            os.environ["HWNAS_TRIAL_FILE"] = saved
