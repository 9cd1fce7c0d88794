#!/usr/bin/env bash
# Run pytest on one test directory: hacking/pytest-dir.sh DIR [pytest args...]
# A directory that does not exist, or holds no test files, FAILS: the tests went missing (a wrong
# path, a deleted tree), which is never a pass. So does pytest's exit code 5 ("no tests collected")
# when DIR has test files: then the tests are broken (bad names, all deselected, import-time skip).
set -euo pipefail

dir=${1:?usage: pytest-dir.sh DIR [pytest args...]}
shift
python=${VENV:-.venv}/bin/python

if [ ! -d "$dir" ]; then
    echo "pytest: $dir does not exist: failing" >&2
    exit 1
fi
if ! find "$dir" -type f \( -name 'test_*.py' -o -name '*_test.py' \) -print -quit | grep -q .; then
    echo "pytest: $dir holds no test files (test_*.py, *_test.py): failing" >&2
    exit 1
fi

rc=0
"$python" -m pytest "$dir" "$@" || rc=$?
if [ "$rc" -eq 5 ]; then
    echo "pytest: $dir has test files but pytest collected no tests from them: failing" >&2
fi
exit "$rc"
