"""A worker process that runs tasks: ``python -m solvers.worker``.

It reads tasks as pickles on its standard input: component solves
(:class:`solvers.solve.ComponentTask`) or any other picklable callable without arguments (such as
a :func:`functools.partial` of a module-level function), and answers each, in turn, with
``(True, result)`` or ``(False, error)`` the same way on its standard output; it ends when its
input closes. :func:`solvers.solve.run_in_processes` starts and feeds these workers to solve
components side by side; :func:`service.files.write_outputs` has one write the results workbook
while it writes the CSV files. A fresh interpreter, not a fork, so that a worker holds only its
own task and never runs the calling program's code again.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import pickle
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path
from typing import BinaryIO

from symbiosis.errors import SolverError


def return_freed_memory() -> bool:
    """Collect garbage and hand the memory freed since back to the operating system, where the C
    library can (glibc's ``malloc_trim``; elsewhere nothing happens): after one independent part
    of a region is done, the gigabytes its arcs and engines used, freed but kept by the allocator,
    would otherwise still count against the process. True when it was handed back."""
    gc.collect()
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


@cache
def _malloc_trim():
    # glibc by its usual name first: ``find_library`` runs ``ldconfig`` in a child process, which
    # a process of gigabytes would start (and a memory poll would count) for nothing.
    for name in ("libc.so.6", None):
        try:
            return ctypes.CDLL(name or ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            continue
    return None


def send(stream: BinaryIO, obj: object) -> None:
    """Write ``obj`` to ``stream`` as one pickle (protocol 5: large arrays go to the stream as
    they are, without a copy of the whole message first)."""
    pickle.dump(obj, stream, protocol=5)
    stream.flush()


def receive(stream: BinaryIO) -> object | None:
    """The next pickle on ``stream``, or ``None`` when it has ended."""
    try:
        return pickle.load(stream)
    except EOFError:
        return None


def start_worker() -> subprocess.Popen:
    """A worker process, able to import this package wherever it was imported from."""
    package_root = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    return subprocess.Popen([sys.executable, "-m", "solvers.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": path})


def answer_of(process: subprocess.Popen, cause: BaseException | None = None):
    """The next answer of a worker ``process``: its task's result, or the task's error raised here,
    or a :class:`~symbiosis.errors.SolverError` if the worker ended without answering (``cause``:
    what went wrong on this side, if anything)."""
    answer = receive(process.stdout)
    if answer is None:
        raise SolverError(f"a worker process ended without an answer (exit code {process.wait()})") from cause
    ok, value = answer
    if not ok:
        raise value
    return value


def usable_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Background:
    """One task run in a worker process of its own while the caller goes on (the task is sent from
    a thread, so the caller does not wait for the worker to start and read it): :meth:`result`
    waits for it and returns its result or raises its error; leaving a ``with`` block before that
    (on an error of the caller's) ends the worker without waiting for its task."""

    def __init__(self, task) -> None:
        self._process = start_worker()
        self._send_error: BaseException | None = None
        self._sender = threading.Thread(target=self._send, args=(task,), name="worker-task-sender", daemon=True)
        self._sender.start()

    def _send(self, task) -> None:
        try:
            send(self._process.stdin, task)
            self._process.stdin.close()
        except BaseException as error:  # noqa: BLE001 - the worker ended early: result() says so
            self._send_error = error

    def result(self):
        self._sender.join()
        try:
            return answer_of(self._process, self._send_error)
        finally:
            self._process.wait()

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._sender.join()
        self._process.stdout.close()
        if not self._process.stdin.closed:
            try:
                self._process.stdin.close()
            except OSError:
                pass  # what was left in the pipe goes nowhere: the worker has ended


def run(task):
    """Run one task as this worker does."""
    if callable(task):
        return task()
    from solvers.solve import solve_component

    return solve_component(task)


def main() -> None:
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed goes to the log, never into the answers
    while (task := receive(sys.stdin.buffer)) is not None:
        try:
            answer = (True, run(task))
        except Exception as error:  # noqa: BLE001 - handed to the caller, which raises it
            answer = (False, error)
        del task
        send(answers, answer)


if __name__ == "__main__":
    main()
