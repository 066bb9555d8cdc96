"""How many threads villageaid uses, and BLAS sums in a fixed order.

Two rules keep the numbers and the machine in order:

- **Worker processes × BLAS threads ≤ cores.** ``VILLAGEAID_THREADS`` (default: the cores this process may run
  on) is the budget. The build and the studies start that many worker processes by default, each with one BLAS
  thread (:func:`villageaid.executor.run_tasks`); a command that computes in its own process lets BLAS use the
  budget (:func:`limit_process_threads`). Several BLAS threads in each of several processes on the same cores
  spin against each other: on a busy 2-core machine that made ``make all`` many times slower.
- **Sums in a fixed order.** A multi-threaded BLAS splits a sum (X'X, X'y, a dot product) over its threads, so the
  last bits of the result depend on the thread count: with 2 threads instead of 1, Tables 3b, 5, 5b, 6c and 8b
  differed by up to 5e-8 (relative). The estimators' matrix products and solves therefore run with one BLAS
  thread (:func:`fixed_blas_order`), wherever they are called from (the build, a notebook, a script), so the
  same inputs give the same bytes whatever ``VILLAGEAID_THREADS``, ``OPENBLAS_NUM_THREADS`` or the core count.
  The matrices of these models are small (thousands of rows, tens of columns); one thread costs nothing there.
  A different BLAS library or CPU kernel may still change the last bits: the bytes are promised for one
  environment, the numbers across environments only to rounding.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

THREADS_ENV = "VILLAGEAID_THREADS"

Function = TypeVar("Function", bound=Callable[..., Any])


def available_cores() -> int:
    """Return the number of cores this process may run on (its CPU affinity where the system says)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def thread_budget(environ: Mapping[str, str] | None = None) -> int:
    """Return the number of threads villageaid may use: ``VILLAGEAID_THREADS``, else the available cores.

    Raises
    ------
    ValueError
        When ``VILLAGEAID_THREADS`` is set but is not a whole number of at least 1 (the message names the
        variable, its value and what was expected).
    """
    value = (os.environ if environ is None else environ).get(THREADS_ENV, "").strip()
    if not value:
        return available_cores()
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ValueError(f"{THREADS_ENV}={value!r}: expected a whole number of threads, at least 1 (such as 2); "
                         "unset it to use every available core")
    return threads


def default_workers(environ: Mapping[str, str] | None = None) -> int:
    """Return the number of worker processes to start by default: the thread budget (each runs one BLAS thread)."""
    return thread_budget(environ)


_CONTROLLER: Any = None
_CONTROLLER_LOCK = threading.Lock()


def _blas_controller() -> Any:
    """Return one threadpoolctl controller of the BLAS libraries loaded (NumPy's and SciPy's), made once."""
    global _CONTROLLER
    if _CONTROLLER is None:
        with _CONTROLLER_LOCK:
            if _CONTROLLER is None:
                import numpy  # noqa: F401  (load both BLAS libraries before listing them)
                import scipy.linalg  # noqa: F401
                from threadpoolctl import ThreadpoolController

                _CONTROLLER = ThreadpoolController().select(user_api="blas")
    return _CONTROLLER


_INSIDE = threading.local()  # how deep this thread is inside one_blas_thread blocks


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run BLAS on one thread inside the block (nothing to do when it already runs on one)."""
    depth = getattr(_INSIDE, "depth", 0)
    _INSIDE.depth = depth + 1
    try:
        if depth:  # an enclosing block already holds BLAS at one thread: the jackknife's refits call fits
            yield
            return
        controller = _blas_controller()
        if all(library.get_num_threads() == 1 for library in controller.lib_controllers):
            yield
            return
        with controller.limit(limits=1):
            yield
    finally:
        _INSIDE.depth = depth


def fixed_blas_order(function: Function) -> Function:
    """Decorate an estimator's computation so that its BLAS sums run in one fixed order (one thread).

    See the module notes: the result is then the same bits whatever the number of BLAS threads outside.
    """
    @functools.wraps(function)
    def in_fixed_order(*args: Any, **kwargs: Any) -> Any:
        if getattr(_INSIDE, "depth", 0):  # an enclosing block holds BLAS at one thread (a jackknife's refits, the
            return function(*args, **kwargs)  # demeaning in each IRLS step): no context to enter, a few µs a call
        with one_blas_thread():
            return function(*args, **kwargs)
    return in_fixed_order  # type: ignore[return-value]


def limit_process_threads(threads: int | None = None) -> int:
    """Let BLAS and OpenMP in this process use at most ``threads`` (default: :func:`thread_budget`); return it.

    For the command line: a command's own computations then respect ``VILLAGEAID_THREADS``; its worker
    processes each run one BLAS thread (:func:`villageaid.executor.run_tasks`).
    """
    from threadpoolctl import threadpool_limits

    threads = thread_budget() if threads is None else threads
    threadpool_limits(limits=threads)
    return threads
