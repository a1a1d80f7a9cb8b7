"""core/tx.py: SQLite writers take their turn on a kernel lock before BEGIN IMMEDIATE."""

import fcntl
import os
import signal
import threading

from docflow.core.tx import _give_back_write_turn, _take_write_turn


def _holder(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_the_turn_passes_when_the_other_writer_gives_it_back(tmp_path):
    path = str(tmp_path / "db.writers")
    other = _holder(path)
    timer = threading.Timer(0.2, lambda: fcntl.flock(other, fcntl.LOCK_UN))
    timer.start()
    info = {}
    _take_write_turn(info, path, timeout=10)  # waits in the kernel (main thread) until the release
    assert info["write_turn"] is True
    # the other writer now waits for us
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        raise AssertionError("the turn was not held")
    except BlockingIOError:
        pass
    _give_back_write_turn(info)
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
    os.close(other)
    os.close(info["write_turn_fd"])
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)


def test_after_the_timeout_the_writer_goes_on_without_the_turn(tmp_path):
    path = str(tmp_path / "db.writers")
    other = _holder(path)
    before = signal.getsignal(signal.SIGALRM)
    info = {}
    _take_write_turn(info, path, timeout=0.2)
    assert not info.get("write_turn")  # SQLite's busy timeout decides from here
    assert signal.getsignal(signal.SIGALRM) == before and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    os.close(other)
    os.close(info["write_turn_fd"])


def test_a_thread_other_than_the_main_one_polls(tmp_path):
    path = str(tmp_path / "db.writers")
    other = _holder(path)
    info = {}
    waiter = threading.Thread(target=_take_write_turn, args=(info, path, 10))
    waiter.start()
    threading.Timer(0.2, lambda: fcntl.flock(other, fcntl.LOCK_UN)).start()
    waiter.join(5)
    assert not waiter.is_alive() and info["write_turn"] is True
    _give_back_write_turn(info)
    os.close(other)
    os.close(info["write_turn_fd"])
