#!/usr/bin/env bash
# Put this collection (the repo root IS the collection root) where Ansible tooling expects it:
#   link DIR   DIR/ansible_collections/alohub/callcenter -> the repo (a symlink; for pytest imports,
#              ansible-playbook and molecule via ANSIBLE_COLLECTIONS_PATH=DIR)
#   copy DIR   DIR/ansible_collections/alohub/callcenter = a fresh copy of the files git would commit
#              (tracked + untracked-but-not-ignored, as they are in the work tree). ansible-test needs
#              this: it locates the collection from os.getcwd(), which resolves symlinks, so it never
#              sees an ansible_collections/ parent through the link. The copy gets its own empty
#              `git init`: otherwise ansible-test walks up to this repo's .git, asks it for the files
#              under .build/ (all git-ignored) and finds none ("All targets skipped").
# Prints the collection directory it made.
set -euo pipefail

mode=${1:?usage: collection-tree.sh link|copy DIR}
dir=${2:?usage: collection-tree.sh link|copy DIR}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ns=alohub name=callcenter
dest=$dir/ansible_collections/$ns/$name
mkdir -p "$(dirname "$dest")"

case "$mode" in
link)
    if [ "$(readlink "$dest" 2>/dev/null)" != "$root" ]; then
        rm -rf "$dest"
        ln -s "$root" "$dest"
    fi
    ;;
copy)
    rm -rf "$dest"
    mkdir -p "$dest"
    if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        # -c tracked, -o untracked but not ignored; skip tracked files deleted in the work tree.
        git -C "$root" ls-files -z -c -o --exclude-standard --deduplicate |
            (cd "$root" && while IFS= read -r -d '' f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done) |
            tar -C "$root" --null -T - -cf - | tar -C "$dest" -xf -
    else
        tar -C "$root" --exclude=./.git --exclude=./.venv --exclude='./.venv-*' --exclude=./.build --exclude=./tests/output \
            --exclude='__pycache__' --exclude='*.tar.gz' -cf - . | tar -C "$dest" -xf -
    fi
    git init -q "$dest"
    ;;
*)
    echo "collection-tree.sh: unknown mode '$mode' (link|copy)" >&2
    exit 2
    ;;
esac
echo "$dest"
