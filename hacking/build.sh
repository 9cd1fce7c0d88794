#!/usr/bin/env bash
# Build the collection artifact: hacking/build.sh OUTDIR  (prints the tarball's path)
# Built from a private copy of the files git would commit (collection-tree.sh copy), so stray local
# files never reach the artifact and concurrent builds do not share a directory. galaxy.yml's
# build_ignore drops the development files. Needs ansible-galaxy on PATH.
set -euo pipefail

out=${1:?usage: build.sh OUTDIR}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$root/.build" "$out"
tree=$(mktemp -d "$root/.build/src.XXXXXX")
trap 'rm -rf "$tree"' EXIT
src=$("$root/hacking/collection-tree.sh" copy "$tree")
ansible-galaxy collection build --force --output-path "$out" "$src" >&2
version=$(sed -n 's/^version:[[:space:]]*//p' "$src/galaxy.yml" | tr -d "\"'")
echo "$out/alohub-callcenter-$version.tar.gz"
