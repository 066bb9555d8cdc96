"""``python -m villageaid.workflow.cli``: the same as the ``villageaid`` command."""

import sys

from villageaid.workflow.cli import main

sys.exit(main())
