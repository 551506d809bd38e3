import sys

from ocppcore.cli import main

sys.exit(main())
