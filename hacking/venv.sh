#!/usr/bin/env bash
# Create or refresh a development venv (default .venv) with ansible-core and the test tools.
#   ANSIBLE_CORE   pip requirement for ansible-core (the Makefile passes its ANSIBLE_CORE)
#   PYTHON_SERIES  which Python to look for (hacking/find-python: "3.12+" = newest >= 3.12, the
#                  default; "3.11" = newest 3.11.x). hacking/ansible-lines pairs each line with one.
#   PYTHON         interpreter to build the venv from (overrides the search; still checked)
#   VENV           where the venv lives
# Idempotent: a stamp records what the venv was built from; when nothing changed this exits at once.
# When only the requirements (or ANSIBLE_CORE) changed, pip updates the venv in place, so people
# running tests from the same venv at that moment keep working; another interpreter (e.g. after a
# pyenv patch upgrade) rebuilds it from scratch. Two runs at once wait for each other (flock).
# No usable Python, or an ansible-core that does not install on it, fails here with the reason:
# a line of the test matrix is never skipped silently.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
venv=${VENV:-$root/.venv}
ansible_core=${ANSIBLE_CORE:-ansible-core>=2.21,<2.22}
series=${PYTHON_SERIES:-3.12+}
# The test tools: tests/requirements-dev.txt for the newest line (the Makefile passes REQUIREMENTS),
# the lighter tests/requirements-line.txt for the others, which run only units, integration and sanity.
requirements=${REQUIREMENTS:-$root/tests/requirements-dev.txt}
reqs=("$root/requirements.txt" "$root/tests/requirements-line.txt" "$requirements")
stamp=$venv/.alohub-venv-stamp

python=$("$here/find-python" "$series")
want=$({
    echo "ansible_core=$ansible_core"
    echo "python=$python"
    cat "${reqs[@]}"
} | sha256sum | cut -d' ' -f1)

current() { [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
current && exit 0

mkdir -p "$root/.build"
exec 9>"$root/.build/venv-lock-$(basename "$venv")"
flock 9
current && exit 0   # someone else just built it

start=$(date +%s)
# The interpreter an existing venv was made from (sys._base_executable), to compare with $python.
base_of() { realpath "$("$1" -c 'import sys; print(sys._base_executable)' 2>/dev/null)" 2>/dev/null || true; }
if [ -x "$venv/bin/python" ] && [ "$(base_of "$venv/bin/python")" = "$(realpath "$python")" ]; then
    echo "venv: updating $venv in place ($python, $ansible_core)"
else
    echo "venv: building $venv from $python ($("$python" -V 2>&1)), $ansible_core"
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
# Git ignores the venv whatever its name (.venv-2.16 ...), as Python 3.13's venv does by itself;
# so does hacking/collection-tree.sh, which copies only what git would commit.
echo '*' >"$venv/.gitignore"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
# No progress bars in CI logs; keep pip's own messages short but visible.
export PIP_PROGRESS_BAR=off
"${pip[@]}" install --quiet --upgrade pip
if ! "${pip[@]}" install --quiet "$ansible_core" -r "$requirements"; then
    echo "venv: FAILED to install $ansible_core and $requirements on $python ($("$python" -V 2>&1))" >&2
    exit 1
fi
"${pip[@]}" check
"$venv/bin/python" "$here/seed-get-pip.py"
echo "$want" >"$stamp"
echo "venv: ready in $(( $(date +%s) - start ))s: $("$venv/bin/ansible" --version | sed -n 1p), $("$venv/bin/python" -V)"
