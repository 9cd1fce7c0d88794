"""Processes a test started, and the ones they started in turn, found from /proc (Linux).

A test that stops ansible-rulebook or ansible-playbook must not leave their children running: an orphaned
ansible-playbook keeps sending requests to the simulator, which the next test on the same worker then sees.
"""

import os
import signal
import subprocess
import time


def descendants(*roots):
    """Every live process below the ``roots`` (by parent pid), from one read of /proc."""
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry, 'rb') as handle:
                stat = handle.read().decode('utf-8', 'replace')
        except OSError:
            continue
        fields = stat[stat.rfind(')') + 2:].split()
        if fields[0] == 'Z':
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid, 'rb') as handle:
            return handle.read().split(b') ', 1)[1][:1] != b'Z'
    except (OSError, IndexError):
        return False


def stop_tree(process, grace=15):
    """Stop ``process`` (a Popen) with SIGTERM, then SIGKILL after ``grace`` s, and then whatever it started.

    Its descendants are gathered before the signal (once it is gone, they belong to init); the ones still
    alive after it ends get SIGTERM, then SIGKILL, and are waited for, so nothing of it runs on.
    """
    if process.poll() is not None:
        return
    family = descendants(process.pid)
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    family = sorted(set(family + descendants(*family)))  # and what they started meanwhile
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        survivors = [pid for pid in family if alive(pid)]
        for pid in survivors:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + wait
        while any(alive(pid) for pid in survivors) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not [pid for pid in family if alive(pid)], 'processes that ignore SIGKILL: %s' % family
