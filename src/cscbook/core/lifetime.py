"""Worker processes die with the build: a pool worker, book worker or any other child the build starts watches
its parent and exits as soon as the parent is gone (a ``kill -9`` of the build leaves nothing running).

A daemon thread in the worker checks its parent's process id once a second: it works on every platform with
process ids. (Linux's ``PR_SET_PDEATHSIG`` is not used: Linux sends it when the *thread* that started the worker
ends, and a process pool starts replacement workers from threads that may end before the build does.) Jupyter
kernels watch their parent themselves (ipykernel's parent poller, given ``JPY_PARENT_PID``).
"""

from __future__ import annotations

import os
import threading

#: seconds between two looks at the parent
POLL_SECONDS = 1.0


def _parent_gone(parent: int) -> bool:
    return os.getppid() != parent


def watch_parent(parent: int | None = None, poll: float = POLL_SECONDS) -> threading.Thread | None:
    """Start a daemon thread that ends this process (exit status 1, no clean-up) once ``parent`` (default: the
    current parent) is no longer its parent; the thread, or None where there is no parent process id to watch."""
    parent = os.getppid() if parent is None else parent
    if parent <= 1:
        return None
    if _parent_gone(parent):
        os._exit(1)

    def watch() -> None:
        while not _stop.wait(poll):
            if _parent_gone(parent):
                os._exit(1)

    thread = threading.Thread(target=watch, name="cscbook-parent-watch", daemon=True)
    thread.start()
    return thread


_stop = threading.Event()


def die_with_parent() -> None:
    """For a worker's initializer: the parent watch (every platform)."""
    watch_parent()
