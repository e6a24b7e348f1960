"""Stopping a course run: the running kernels and the SIGINT/SIGTERM handlers of one run.

A stop request (a signal, or :meth:`RunControl.request_stop`) sets ``stop`` and kills the
process group of every running kernel; a notebook that reaches its next cell raises
:class:`StopRequested` instead of running it. A second request also tells the run loop not
to wait for kernels to wind down.
"""

import contextlib
import os
import signal
import threading
import time


class StopRequested(Exception):
    """Raised before a cell starts once the run has been told to stop."""


def kernel_process(client):
    """``(pid, process group)`` of a notebook client's kernel, or None where unknown.

    jupyter-client >= 7 exposes them on ``km.provisioner``; 6.x (Colab's) only keeps the
    ``Popen`` as ``km.kernel``, and starts the kernel in a session of its own, so its group
    is read from the pid.
    """
    km = getattr(client, "km", None)
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None) or getattr(getattr(km, "kernel", None), "pid", None)
    pgid = getattr(provisioner, "pgid", None)
    if pid and not pgid:
        with contextlib.suppress(OSError):
            pgid = os.getpgid(pid)
    return pid, pgid


class RunControl:
    """Tracks running kernels and the stop request of one ``run_course`` call."""

    def __init__(self):
        self.stop = threading.Event()
        self.signum = None
        self.stopped_at = None
        self.force = False
        self._clients = {}
        # re-entrant: the signal handler may run while the main thread holds it
        self._lock = threading.RLock()

    def started(self, key, client):
        with self._lock:
            self._clients[key] = client

    def finished(self, key):
        with self._lock:
            self._clients.pop(key, None)

    def request_stop(self, signum):
        if self.stop.is_set():
            self.force = True  # a second signal: do not wait for kernels to wind down
        else:
            self.signum = signum
            self.stopped_at = time.monotonic()
            self.stop.set()
        self.kill_kernels()

    def signal_name(self):
        """The name of the signal that stopped the run (``"SIGTERM"``), or None."""
        return signal.Signals(self.signum).name if self.signum else None

    def stop_reason(self):
        """``"interrupted by SIGTERM"`` (or ``"... by a stop request"`` when no signal came)."""
        return f"interrupted by {self.signal_name() or 'a stop request'}"

    def kill_kernels(self):
        """Kills every running kernel's process group (the kernel and its children)."""
        with self._lock:
            clients = list(self._clients.values())
        for client in clients:
            pid, pgid = kernel_process(client)
            with contextlib.suppress(OSError):
                if pgid and pgid != os.getpgrp():
                    os.killpg(pgid, signal.SIGKILL)
                elif pid:
                    os.kill(pid, signal.SIGKILL)

    @contextlib.contextmanager
    def signals_installed(self):
        """Routes SIGINT and SIGTERM to :meth:`request_stop` (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = [signal.SIGINT, signal.SIGTERM]
        saved = {s: signal.getsignal(s) for s in handled}
        for s in handled:
            signal.signal(s, lambda signum, _frame: self.request_stop(signum))
        try:
            yield
        finally:
            for s, handler in saved.items():
                signal.signal(s, handler)
