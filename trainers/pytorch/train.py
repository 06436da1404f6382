#!/usr/bin/python3
"""Reference PyTorch trainer of hwnas (contract hwnas.trainer/v1; see README.md and docs/trainer-contract.md).

  HWNAS_TRIAL_FILE=trial.json train.py --data DIR [flags]
  train.py --data DIR --arch '|nor_conv_3x3~0|+|...' --epochs 12 [--work-dir W] [flags]   # by hand
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hwnas_trainer.errors import TrainerError  # noqa: E402
from hwnas_trainer.protocol import log  # noqa: E402


def main():
    try:
        # Imported here so a missing PyTorch is reported like any other error.
        from hwnas_trainer.settings import resolve
        from hwnas_trainer.trainer import run
        return run(resolve(sys.argv[1:], os.environ))
    except TrainerError as e:
        log(f"error: {e}")
        return e.exit_code
    except ImportError as e:
        log(f"error: {e} (the trainer needs PyTorch and NumPy: apt-get install python3-torch; run /usr/bin/python3)")
        return 2


if __name__ == "__main__":
    sys.exit(main())
