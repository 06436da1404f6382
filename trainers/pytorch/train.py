#!/usr/bin/python3
"""Reference PyTorch trainer of hwnas (contract hwnas.trainer/v1; see README.md and docs/trainer-contract.md).

  HWNAS_TRIAL_FILE=trial.json train.py --data DIR [flags]
  train.py --data DIR --arch '|nor_conv_3x3~0|+|...' --epochs 12 [--work-dir W] [flags]   # by hand
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hwnas_trainer.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], os.environ))
