"""train.py's entry point: settings, one run, and errors turned into a log line and an exit status."""

from .errors import TrainerError
from .protocol import log


def main(argv, environ):
    """Runs one training per `argv` (without the program name) and `environ`; returns the exit status."""
    try:
        # Imported here so a missing PyTorch is reported like any other error.
        from .oneshot_handoff import is_one_shot_trial, run_one_shot
        if is_one_shot_trial(environ):
            return run_one_shot(argv, environ)
        from .settings import resolve
        from .trainer import run
        return run(resolve(argv, environ), environ)
    except TrainerError as e:
        log(f"error: {e}")
        return e.exit_code
    except ImportError as e:
        log(f"error: {e} (the trainer needs PyTorch and NumPy: apt-get install python3-torch; run /usr/bin/python3)")
        return 2
    except SystemExit as e:  # argparse: it has printed the usage and the problem to stderr
        return e.code if isinstance(e.code, int) else 2
