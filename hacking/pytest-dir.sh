#!/usr/bin/env bash
# Run pytest on one test directory: hacking/pytest-dir.sh DIR [pytest args...]
# A directory that does not exist yet, or holds no test files yet, is reported and passes.
# pytest's exit code 5 ("no tests collected") fails when DIR does contain test files: then the
# tests are broken (bad names, deselected, import-time skip), not merely absent.
set -euo pipefail

dir=${1:?usage: pytest-dir.sh DIR [pytest args...]}
shift
python=${VENV:-.venv}/bin/python

has_tests() {
    find "$dir" -type f \( -name 'test_*.py' -o -name '*_test.py' \) -print -quit 2>/dev/null | grep -q .
}

if [ ! -d "$dir" ] || ! has_tests; then
    echo "pytest: no test files in $dir yet: nothing to run"
    exit 0
fi

rc=0
"$python" -m pytest "$dir" "$@" || rc=$?
if [ "$rc" -eq 5 ]; then
    echo "pytest: $dir has test files but pytest collected no tests from them: failing" >&2
fi
exit "$rc"
