"""A worker process that solves component tasks: ``python -m solvers.worker``.

It reads tasks (:class:`solvers.solve.ComponentTask`) as pickles on its standard input and answers
each, in turn, with ``(True, run)`` or ``(False, error)`` the same way on its standard output; it
ends when its input closes. :func:`solvers.solve.run_in_processes` starts and
feeds these workers. A fresh interpreter, not a fork, so that a worker holds only its own task and
never runs the calling program's code again.
"""

from __future__ import annotations

import pickle
import sys
from typing import BinaryIO


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


def main() -> None:
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed goes to the log, never into the answers
    from solvers.solve import solve_component

    while (task := receive(sys.stdin.buffer)) is not None:
        try:
            answer = (True, solve_component(task))
        except Exception as error:  # noqa: BLE001 - handed to the caller, which raises it
            answer = (False, error)
        del task
        send(answers, answer)


if __name__ == "__main__":
    main()
