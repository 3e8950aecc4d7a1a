"""Exit codes and the usage error, in a leaf module so the commands need not import the CLI.

Exit codes (contract: ../shared/spec/interface.md section 2): 0 done; 1 done but a source failed
as a whole or an alert went to dead-letter; 2 usage or config error; 3 another run holds the
archive's lock.
"""

from __future__ import annotations

EXIT_OK, EXIT_PARTIAL, EXIT_CONFIG, EXIT_LOCKED = 0, 1, 2, 3


class UsageError(Exception):
    """Bad arguments: exit 2 with the message."""
