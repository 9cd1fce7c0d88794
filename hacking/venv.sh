#!/usr/bin/env bash
# Create or refresh the development venv (default .venv) with ansible-core and the test tools.
#   ANSIBLE_CORE  pip requirement for ansible-core (the Makefile passes its ANSIBLE_CORE)
#   PYTHON        interpreter to build the venv from (default: newest Python >= 3.12, hacking/find-python)
#   VENV          where the venv lives
# Idempotent: a stamp records what the venv was built from; when nothing changed this exits at once.
# A venv built from different inputs (other ANSIBLE_CORE, requirement files or PYTHON) is rebuilt.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
venv=${VENV:-$root/.venv}
ansible_core=${ANSIBLE_CORE:-ansible-core>=2.21,<2.22}
reqs=("$root/requirements.txt" "$root/tests/requirements-dev.txt")
stamp=$venv/.alohub-venv-stamp

fingerprint() {
    {
        echo "ansible_core=$ansible_core"
        echo "python=${PYTHON:-auto}"
        cat "${reqs[@]}"
    } | sha256sum | cut -d' ' -f1
}
want=$(fingerprint)

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi

start=$(date +%s)
python=$("$here/find-python")
echo "venv: building $venv from $python ($("$python" -V 2>&1)), $ansible_core"
rm -rf "$venv"
"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
# No progress bars in CI logs; keep pip's own messages short but visible.
export PIP_PROGRESS_BAR=off
"${pip[@]}" install --quiet --upgrade pip
"${pip[@]}" install --quiet "$ansible_core" -r "$root/tests/requirements-dev.txt"
"${pip[@]}" check
"$venv/bin/python" "$here/seed-get-pip.py"
echo "$want" >"$stamp"
echo "venv: ready in $(( $(date +%s) - start ))s: $("$venv/bin/ansible" --version | sed -n 1p), $("$venv/bin/python" -V)"
