#!/usr/bin/env bash
# Run `molecule test` for every scenario: extensions/molecule/<scenario>/ (the collection convention)
# and roles/<role>/molecule/<scenario>/. Expects the venv's bin on PATH and ANSIBLE_COLLECTIONS_PATH
# set (the Makefile does both).
# Each scenario gets its own ephemeral directory under .build/molecule/: molecule's default is
# ~/.ansible/tmp/molecule.<hash of the directory's basename>.<scenario>, which two checkouts (or a
# developer and a fresh-clone check) running at once would share and clobber.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
found=0
for file in extensions/molecule/*/molecule.yml roles/*/molecule/*/molecule.yml; do
    [ -f "$file" ] || continue
    found=1
    scenario_dir=$(dirname "$file")
    scenario=$(basename "$scenario_dir")
    base=${scenario_dir%/molecule/*}
    echo "molecule: $base, scenario $scenario"
    ephemeral=$root/.build/molecule/${base//\//--}/$scenario
    rm -rf "$ephemeral"
    (cd "$base" && MOLECULE_EPHEMERAL_DIRECTORY=$ephemeral molecule test -s "$scenario")
done
if [ "$found" = 0 ]; then
    echo "molecule: no scenario yet (looked for extensions/molecule/*/molecule.yml and roles/*/molecule/*/molecule.yml)"
fi
