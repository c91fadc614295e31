"""``python -m ztc_cli``: the ``ztc`` command without the installed console script."""
import sys

from ztc_cli.cli import main

sys.exit(main())
