#!/usr/bin/env bash
# ansible-test sanity, offline, on a private copy of the collection: hacking/sanity.sh [ansible-test args]
# The copy (see collection-tree.sh for why a copy) lives in a fresh .build/sanity.XXXXXX per run, so
# people sharing one work tree can run sanity at the same time; it is removed afterwards unless
# KEEP_SANITY_TREE=1 (then ansible-test's tests/output/ can be read there).
# Uses the venv's Python and version (VENV, default .venv), and seeds ansible-test's pip bootstrap cache.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-$root/.venv}
python=$venv/bin/python
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

"$python" "$root/hacking/seed-get-pip.py"
mkdir -p "$root/.build"
tree=$(mktemp -d "$root/.build/sanity.XXXXXX")
if [ "${KEEP_SANITY_TREE:-0}" = 1 ]; then
    echo "sanity: keeping $tree"
else
    trap 'rm -rf "$tree"' EXIT
fi
dir=$("$root/hacking/collection-tree.sh" copy "$tree")

echo "ansible-test sanity --local --requirements --python $pyver $*"
cd "$dir"
PATH="$venv/bin:$PATH" ansible-test sanity --local --requirements --python "$pyver" "$@"
