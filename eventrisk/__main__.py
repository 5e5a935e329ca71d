"""Allow ``python -m eventrisk`` (also the frozen app's entry point)."""

import multiprocessing
import sys

from eventrisk.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the frozen app's scoring worker process starts here
    sys.exit(main())
