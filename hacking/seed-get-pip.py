#!/usr/bin/env python
"""Seed ansible-test's pip bootstrap cache so `ansible-test sanity` works without the internet.

ansible-test creates a fresh venv (``--without-pip``) for each sanity test and bootstraps pip in it
by downloading ``get-pip-<ver>.py`` from a host that is unreachable offline and behind many
corporate proxies. It skips the download when ``~/.ansible/test/cache/get_pip_<ver>.py`` exists
(``<ver>`` with dots as underscores). This writes a stand-in there that needs only the package
index pip is configured for: ``ensurepip`` (pip's bundled wheel) and then
``pip install --upgrade <the packages ansible-test asked for>``.

Run it with the Python that has ansible-core installed (the .venv's), so the pip version is read
from that ansible-test rather than guessed. Idempotent; ``--check`` only reports.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import sys
import types

MARKER = "alohub.callcenter offline get-pip stand-in"

STAND_IN = '''"""{marker} (written by hacking/seed-get-pip.py).

ansible-test runs this as get-pip.py: ``python get_pip_X_Y.py [pip options] pip==X.Y --no-setuptools --no-wheel``.
Install the bundled pip with ensurepip, then upgrade to exactly what was asked from the configured index.
"""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade"] + args))
'''.format(marker=MARKER)


def wanted_pip_versions() -> tuple[set[str], str]:
    """Return the pip versions ansible-test will bootstrap, and how they were found."""
    try:
        from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS
        from ansible_test._internal.python_requirements import get_venv_packages

        # get_venv_packages() only reads .version of its PythonConfig argument. Ask for every Python
        # ansible-test supports, so `make sanity SANITY_PYTHON=3.12` is covered too.
        found = {get_venv_packages(types.SimpleNamespace(version=v))["pip"] for v in SUPPORTED_PYTHON_VERSIONS}
        return found, "ansible_test get_venv_packages()"
    except Exception as ex:  # internal API: fall back to reading the source
        reason = "%s: %s" % (type(ex).__name__, ex)
    try:
        import ansible_test

        src = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
        found = set(re.findall(r"""\bpip\s*=\s*['"]([0-9][0-9a-z.]*)['"]""", src.read_text()))
        if found:
            return found, "%s (import failed: %s)" % (src, reason)
    except Exception as ex:
        reason += "; %s: %s" % (type(ex).__name__, ex)
    # Last resort: the pip this Python has. ansible-test names its pin in the error it prints.
    try:
        import pip

        return {pip.__version__}, "this Python's pip (could not read ansible-test: %s)" % reason
    except ImportError:
        sys.exit("seed-get-pip: cannot tell which pip ansible-test wants (%s); run me with the venv's python" % reason)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--check", action="store_true", help="only report whether the cache is seeded")
    parser.add_argument("--cache-dir", default=os.path.expanduser("~/.ansible/test/cache"),
                        help="ansible-test's cache directory (default: %(default)s)")
    opts = parser.parse_args()

    versions, source = wanted_pip_versions()
    cache = pathlib.Path(opts.cache_dir)
    status = 0
    for version in sorted(versions):
        path = cache / ("get_pip_%s.py" % version.replace(".", "_"))
        if path.exists():
            kind = "our stand-in" if MARKER in path.read_text(errors="replace") else "a real get-pip"
            print("seed-get-pip: %s present (%s; pip %s from %s)" % (path, kind, version, source))
        elif opts.check:
            print("seed-get-pip: %s missing (pip %s from %s)" % (path, version, source))
            status = 1
        else:
            cache.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(STAND_IN)
            tmp.replace(path)
            print("seed-get-pip: wrote %s (pip %s from %s)" % (path, version, source))
    return status


if __name__ == "__main__":
    sys.exit(main())
