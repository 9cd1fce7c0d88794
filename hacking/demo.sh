#!/usr/bin/env bash
# The demo, the way a user meets the collection: build the artifact, install it with ansible-galaxy,
# start the AloHub simulator on a free loopback port, and run playbooks/demo.yml against it.
#   hacking/demo.sh [ansible-playbook args...]     (make demo DEMO_ARGS='-v' does the same)
# Needs ansible-galaxy/ansible-playbook on PATH (the Makefile puts .venv/bin first). The simulator is
# stopped on exit, whatever happens. DEMO_PLAYBOOK overrides the playbook.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
playbook=${DEMO_PLAYBOOK:-playbooks/demo.yml}
if [ ! -f "$playbook" ]; then
    echo "demo: $playbook does not exist yet" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/alohub-demo-XXXXXX")
sim_pid="" playbook_pid=""
cleanup() {
    for pid in $playbook_pid $sim_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "demo: building and installing the collection"
export ANSIBLE_COLLECTIONS_PATH=$work/collections   # only the installed artifact, not the work tree
artifact=$("$root/hacking/build.sh" "$work/dist" 2>/dev/null)
ansible-galaxy collection install --force -p "$work/collections" "$artifact" >/dev/null

python=$(command -v python3 || command -v python)
PYTHONPATH="$root/tests/simulator" "$python" -m alohub_sim --host 127.0.0.1 --port 0 \
    --port-file "$work/port" --quiet >"$work/simulator.log" 2>&1 &
sim_pid=$!

# Wait (at most ~15 s) until the simulator wrote its port and answers /_sim/health.
port=""
for _ in $(seq 150); do
    if ! kill -0 "$sim_pid" 2>/dev/null; then
        echo "demo: the simulator exited early:" >&2
        cat "$work/simulator.log" >&2
        exit 1
    fi
    if [ -s "$work/port" ]; then
        port=$(cat "$work/port")
        if "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
            "http://127.0.0.1:$port/_sim/health" 2>/dev/null; then
            break
        fi
    fi
    port=""
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "demo: the simulator did not become healthy within 15 s" >&2
    cat "$work/simulator.log" >&2
    exit 1
fi

export ALOHUB_API_URL=http://127.0.0.1:$port
export ALOHUB_API_KEY=sk_test_acme
# Scratch directory the playbook may write to (export files); removed on exit.
export ALOHUB_DEMO_DIR=$work
# The plays run on the implicit localhost on purpose; Ansible's two warnings about that are noise here.
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
echo "demo: simulator at $ALOHUB_API_URL (tenant 20260310, key sk_test_acme); running $playbook"
# In the background + wait, so a TERM to this script stops the demo at once (bash runs traps only
# between foreground commands); the EXIT trap then stops the playbook and the simulator.
ansible-playbook "$playbook" "$@" &
playbook_pid=$!
wait "$playbook_pid"
