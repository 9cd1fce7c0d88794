#!/usr/bin/env bash
# Run `molecule test` for every scenario under extensions/molecule/<scenario>/ (the collection
# convention; the role has no scenario of its own). No scenario at all FAILS: the tests went missing.
# Expects the venv's bin on PATH and ANSIBLE_COLLECTIONS_PATH set (the Makefile does both).
# Each scenario gets its own ephemeral directory under .build/molecule/: molecule's default is
# ~/.ansible/tmp/molecule.<hash of the directory's basename>.<scenario>, which two checkouts (or a
# developer and a fresh-clone check) running at once would share and clobber.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
shopt -s nullglob
scenarios=(extensions/molecule/*/molecule.yml)
if [ ${#scenarios[@]} -eq 0 ]; then
    echo "molecule: no scenario under extensions/molecule/*/molecule.yml: failing" >&2
    exit 1
fi
for file in "${scenarios[@]}"; do
    scenario_dir=$(dirname "$file")
    scenario=$(basename "$scenario_dir")
    echo "molecule: extensions, scenario $scenario"
    ephemeral=$root/.build/molecule/extensions/$scenario
    rm -rf "$ephemeral"
    (cd extensions && MOLECULE_EPHEMERAL_DIRECTORY=$ephemeral molecule test -s "$scenario")
done
