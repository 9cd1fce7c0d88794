#!/usr/bin/env bash
# antsibull-changelog for this collection: hacking/changelog.sh lint|generate|release [args...]
#   lint      the fragments (antsibull-changelog lint), changelogs/changelog.yaml
#             (lint-changelog-yaml), and that CHANGELOG.rst is what `generate` makes of them (checked
#             in a scratch copy, so the work tree is never touched). Cheap: no ansible-doc run.
#   generate  rewrite CHANGELOG.rst from changelogs/changelog.yaml
#   release   antsibull-changelog release (version from galaxy.yml): moves the fragments into
#             changelogs/changelog.yaml, refreshes changelogs/.plugin-cache.yaml, rewrites CHANGELOG.rst
# Needs antsibull-changelog on PATH (the Makefile puts the venv first) and, for release, the
# collection on ANSIBLE_COLLECTIONS_PATH (it lists the new modules and roles with ansible-doc).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mode=${1:?usage: changelog.sh lint|generate|release [antsibull-changelog args]}
shift

case "$mode" in
lint)
    antsibull-changelog lint "$@"
    antsibull-changelog lint-changelog-yaml "$@" changelogs/changelog.yaml
    mkdir -p .build
    scratch=$(mktemp -d "$root/.build/changelog.XXXXXX")
    trap 'rm -rf "$scratch"' EXIT
    cp -a galaxy.yml changelogs "$scratch/"
    [ -f CHANGELOG.rst ] && cp CHANGELOG.rst "$scratch/"
    if [ ! -f changelogs/.plugin-cache.yaml ]; then
        echo "changelog: changelogs/.plugin-cache.yaml is missing (hacking/changelog.sh release writes it)" >&2
        exit 1
    fi
    (cd "$scratch" && antsibull-changelog generate >/dev/null)
    if ! diff -u CHANGELOG.rst "$scratch/CHANGELOG.rst"; then
        echo "changelog: CHANGELOG.rst is not what changelogs/changelog.yaml gives: run 'make changelog'" >&2
        exit 1
    fi
    echo "changelog: fragments, changelogs/changelog.yaml and CHANGELOG.rst are consistent"
    ;;
generate)
    antsibull-changelog generate "$@"
    ;;
release)
    antsibull-changelog release "$@"
    ;;
*)
    echo "changelog.sh: unknown mode '$mode' (lint|generate|release)" >&2
    exit 2
    ;;
esac
