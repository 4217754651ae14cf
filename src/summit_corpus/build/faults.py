"""Fault points: named places where a test can stop, pause or crash a build on purpose.

A crash test must hit a moment exactly (inside the swap, between two renames), not hope a timer
lands there. The build calls `point(name)` at each moment in `POINTS`; nothing happens unless
the environment asks for that point:

    SUMMIT_FAULT_POINT=swap.exchanged        the point to act at (one name, or name@N for the
                                             N-th time the point is reached, counting from 1)
    SUMMIT_FAULT_ACTION=kill | pause | raise kill: SIGKILL this process (the default);
                                             pause: create SUMMIT_FAULT_READY, then wait until
                                             that file is removed (or a signal arrives);
                                             raise: raise OSError as a failing disk would
    SUMMIT_FAULT_ERRNO=ENOSPC                the errno `raise` raises (default EIO)
    SUMMIT_FAULT_READY=/path/ready           the file `pause` creates (needed for pause)
"""

from __future__ import annotations

import errno
import os
import signal
import time
from pathlib import Path

POINT_ENV = "SUMMIT_FAULT_POINT"
ACTION_ENV = "SUMMIT_FAULT_ACTION"
READY_ENV = "SUMMIT_FAULT_READY"
ERRNO_ENV = "SUMMIT_FAULT_ERRNO"

# Every point, in the order a build reaches them.
POINTS = (
    "build.locked",  # the lock is held, leftovers are recovered
    "staging.batch",  # a batch's rows were written to the staging files
    "cache.entry_written",  # a cache entry's temp file is written, not yet renamed
    "publish.written",  # the new corpus's files are in the temp folder
    "publish.validated",  # the new corpus is valid, not yet swapped in
    "datasheet.staged",  # the datasheet's temp files are written beside their targets
    "swap.begin",  # about to swap the new corpus in
    "swap.moved_old",  # fallback swap only: the old corpus is moved aside, --out is missing
    "swap.exchanged",  # the new corpus is at --out; the old one is in the temp folder
    "swap.removing_old",  # part of the old corpus is deleted
    "datasheet.renamed",  # the datasheet is in place
)

_seen: dict[str, int] = {}


def point(name: str) -> None:
    """Act at fault point `name` if the environment asks for it (else do nothing).

    name (str): One of POINTS.
    """
    wanted = os.environ.get(POINT_ENV)
    if not wanted or wanted.split("@", 1)[0] != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if "@" in wanted and int(wanted.split("@", 1)[1]) != _seen[name]:
        return
    action = os.environ.get(ACTION_ENV, "kill")
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "raise":
        code = getattr(errno, os.environ.get(ERRNO_ENV, "EIO"))
        raise OSError(code, os.strerror(code), f"<fault point {name}>")
    elif action == "pause":
        ready = Path(os.environ[READY_ENV])
        ready.write_text(f"{os.getpid()}\n")
        while ready.exists():
            time.sleep(0.02)
