#!/usr/bin/env bash
# Run `molecule test --all` in every directory that holds molecule scenarios:
# extensions/ (the collection convention: extensions/molecule/<scenario>/molecule.yml) and roles/*/.
# Expects the venv's bin on PATH and ANSIBLE_COLLECTIONS_PATH set (the Makefile does both).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
found=0
for base in extensions roles/*; do
    compgen -G "$base/molecule/*/molecule.yml" >/dev/null || continue
    found=1
    echo "molecule: scenarios under $base/molecule: $(cd "$base/molecule" && echo */molecule.yml | sed 's|/molecule.yml||g')"
    (cd "$base" && molecule test --all)
done
if [ "$found" = 0 ]; then
    echo "molecule: no scenario yet (looked for extensions/molecule/*/molecule.yml and roles/*/molecule/*/molecule.yml)"
fi
