"""``python -m langchain_redisai.quickstart``."""

import sys

from . import main

sys.exit(main())
