"""``python -m bot.clustering INPUT [--out OUT] [--threshold T]``."""

import sys

from bot.clustering.batch import main

sys.exit(main())
