"""Allow ``python -m eventrisk``."""

import sys

from eventrisk.cli import main

sys.exit(main())
