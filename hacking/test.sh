#!/usr/bin/env bash
# Run make targets on the ansible-core lines of hacking/ansible-lines and print one summary table.
#   hacking/test.sh PLAN...     each PLAN is LINE:TARGET[,TARGET...], e.g. 2.21:venv,units 2.16:venv,units
# `make test` and `make matrix` build the plan (see the Makefile). Every step is `make TARGET LINE=LINE`
# (which selects that line's venv, Python and ansible-core), timed, and reported in a table with a
# row per line and a column per target:  ok 12s | FAIL 3s | not run (an earlier step failed) | - .
# KEEP_GOING=1 (the default when CI is set) runs every step even after a failure, so one CI run
# reports every broken line; KEEP_GOING=0 stops at the first failure. A line whose venv cannot be
# built (no Python of its series, ansible-core does not install) FAILS: it is never skipped.
#
# How the work is spread over the machine (TEST_LANES, default 2):
# * every line's venv build starts at once, in the background (mostly downloads and unpacking); a
#   line's venv step waits for its build and reports the build's own time;
# * lane 1 runs the first PLAN's steps in order, lane 2 the other PLANs' steps one after another, both
#   at the same time: the first line's single-threaded steps (sanity, lint, docs) leave a core free
#   that the other lines' tests use. Each step's output is printed, whole, when the step ends.
#   A step's time in the table is its own wall time, so with two lanes it includes the other lane's
#   share of the machine; the total at the end is what the whole run took.
# TEST_LANES=1 runs everything one step after another with the output streamed, venvs included.
# Exit status: 0 when every step passed, 1 otherwise.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
keep_going=${KEEP_GOING:-}
[ -n "$keep_going" ] || { [ -n "${CI:-}" ] && keep_going=1 || keep_going=0; }
lanes=${TEST_LANES:-2}
[ $# -gt 0 ] || { echo "usage: hacking/test.sh LINE:TARGET[,TARGET...]..." >&2; exit 2; }

# The sub-makes get their venv, Python and ansible-core from LINE alone, not from this make's
# variables or environment (a `make test VENV=...` would otherwise put every line in one venv).
clean_env=(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u VENV -u ANSIBLE_CORE -u PYTHON_SERIES -u PYTHON -u REQUIREMENTS)
# Each step's CPU time (user + sys of everything it ran) is measured too when GNU time is there: on a
# shared machine it says what a step costs whatever else was running (a second table).
timer=()
if [ -x /usr/bin/time ] && /usr/bin/time -f '%U' -o /dev/null true 2>/dev/null; then
    timer=(/usr/bin/time -f '%U %S')
fi
# Several pytest runs at once must not write one cache (tests/.pytest_cache).
export PYTEST_ADDOPTS="${PYTEST_ADDOPTS:+$PYTEST_ADDOPTS }-p no:cacheprovider"

fmt_time() {
    local s=$1
    if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}
line_field() {  # line_field LINE N -> the Nth column of LINE's row in hacking/ansible-lines
    awk -v l="$1" -v n="$2" '!/^[[:space:]]*#/ && NF && $1 == l { print $n; exit }' hacking/ansible-lines
}

lines=() targets=()
for plan in "$@"; do
    line=${plan%%:*}
    if [ -z "$(line_field "$line" 1)" ]; then
        echo "test.sh: line '$line' is not in hacking/ansible-lines" >&2
        exit 2
    fi
    lines+=("$line")
    IFS=, read -r -a steps <<<"${plan#*:}"
    for t in "${steps[@]}"; do
        [[ " ${targets[*]} " == *" $t "* ]] || targets+=("$t")
    done
done

# This run's results and step logs (people sharing a work tree may run this at the same time).
mkdir -p "$root/.build"
run=$(mktemp -d "$root/.build/test-run.XXXXXX")
trap 'rm -rf "$run"' EXIT
total_start=$(date +%s)

# say LINE TARGET LOG: print a finished step's header and output, whole (two lanes print in turn).
say() {
    {
        flock 8
        printf '\n===== ansible-core %s: make %s =====\n' "$1" "$2"
        cat "$3"
    } 8>"$run/print.lock"
}

# Every line's venv build starts now, in the background; the line's venv step waits for it.
declare -A venv_pid=()
if [ "$lanes" -ge 2 ]; then
    for plan in "$@"; do
        line=${plan%%:*}
        [[ ",${plan#*:}," == *,venv,* ]] || continue
        (
            start=$(date +%s) rc=0
            ${timer[@]:+"${timer[@]}" -o "$run/venv-$line.cpu"} "${clean_env[@]}" make --no-print-directory -C "$root" venv LINE="$line" \
                </dev/null >"$run/venv-$line.log" 2>&1 || rc=$?
            echo "$rc $(( $(date +%s) - start ))" >"$run/venv-$line.status"
        ) &
        venv_pid[$line]=$!
    done
    [ ${#venv_pid[@]} -eq 0 ] || echo "test.sh: building the venvs of lines ${!venv_pid[*]} in the background"
    # The collection link, made once before two lanes could race to make it.
    "${clean_env[@]}" make --no-print-directory -C "$root" collection-link </dev/null || true
fi

# run_step LINE TARGET: runs it, records "ok 12s" / "FAIL 3s" in $run/result.LINE.TARGET; 0 when it passed.
run_step() {
    local line=$1 t=$2 start rc=0 seconds log=$run/step.$1.$2.log
    start=$(date +%s)
    if [ "$t" = venv ] && [ -n "${venv_pid[$line]:-}" ]; then
        while [ ! -f "$run/venv-$line.status" ]; do sleep 1; done   # the build is not this shell's child
        read -r rc seconds <"$run/venv-$line.status"
        { cat "$run/venv-$line.log"; echo "(built in the background in ${seconds}s; waited $(( $(date +%s) - start ))s for it here)"; } >"$log"
        cp "$run/venv-$line.cpu" "$run/cpu.$line.$t" 2>/dev/null || true
    elif [ "$lanes" -ge 2 ]; then
        ${timer[@]:+"${timer[@]}" -o "$run/cpu.$line.$t"} "${clean_env[@]}" make --no-print-directory -C "$root" "$t" LINE="$line" \
            </dev/null >"$log" 2>&1 || rc=$?
        seconds=$(( $(date +%s) - start ))
    else
        printf '\n===== ansible-core %s: make %s =====\n' "$line" "$t"
        ${timer[@]:+"${timer[@]}" -o "$run/cpu.$line.$t"} "${clean_env[@]}" make --no-print-directory -C "$root" "$t" LINE="$line" \
            </dev/null || rc=$?
        seconds=$(( $(date +%s) - start ))
    fi
    [ "$lanes" -lt 2 ] || say "$line" "$t" "$log"
    if [ "$rc" -eq 0 ]; then
        echo "ok $(fmt_time "$seconds")" >"$run/result.$line.$t"
    else
        echo "FAIL $(fmt_time "$seconds")" >"$run/result.$line.$t"
        echo "===== ansible-core $line: make $t FAILED =====" >&2
        touch "$run/failed"
    fi
    return "$rc"
}

# run_lane PLAN...: the steps of each PLAN in order.
run_lane() {
    local plan line t steps
    for plan in "$@"; do
        line=${plan%%:*}
        IFS=, read -r -a steps <<<"${plan#*:}"
        for t in "${steps[@]}"; do
            if [ -e "$run/failed" ] && [ "$keep_going" != 1 ]; then
                return
            fi
            if grep -qs '^FAIL' "$run/result.$line.venv"; then
                break   # no venv for this line: its other steps stay "not run"
            fi
            run_step "$line" "$t" || true
        done
    done
}

if [ "$lanes" -ge 2 ] && [ $# -ge 2 ]; then
    run_lane "$1" &
    first_lane=$!
    run_lane "${@:2}"
    wait "$first_lane"
else
    run_lane "$@"
fi
# A stop at the first failure leaves venv builds running: let them finish (they are idempotent and
# flock-guarded), so nothing outlives this script half-done.
for pid in "${venv_pid[@]}"; do wait "$pid" 2>/dev/null || true; done
elapsed=$(( $(date +%s) - total_start ))

# The versions each line actually ran with, read from its venv.
declare -A python_of=() core_of=()
for line in "${lines[@]}"; do
    venv=$root/$(line_field "$line" 4)
    python_of[$line]=$("$venv/bin/python" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo "?")
    core_of[$line]=$("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)' 2>/dev/null || echo "?")
done

failed=$(cat "$run"/result.* 2>/dev/null | grep -c '^FAIL')
width=12
for t in "${targets[@]}"; do [ ${#t} -lt "$width" ] || width=$(( ${#t} + 1 )); done
printf '\n===== summary: make %s =====\n' "${TEST_NAME:-test}"
printf '%-6s %-8s %-13s' line python ansible-core
for t in "${targets[@]}"; do printf " %-${width}s" "$t"; done
printf '\n'
for plan in "$@"; do
    line=${plan%%:*}
    printf '%-6s %-8s %-13s' "$line" "${python_of[$line]}" "${core_of[$line]}"
    for t in "${targets[@]}"; do
        if [[ ",${plan#*:}," != *,$t,* ]]; then
            cell=-
        else
            cell=$(cat "$run/result.$line.$t" 2>/dev/null || echo "not run")
        fi
        printf " %-${width}s" "$cell"
    done
    printf '\n'
done
if [ ${#timer[@]} -gt 0 ]; then
    printf '\nCPU seconds (user + sys) per step, whatever else the machine was doing:\n'
    printf '%-6s %-22s' line ''
    for t in "${targets[@]}"; do printf " %-${width}s" "$t"; done
    printf '\n'
    for plan in "$@"; do
        line=${plan%%:*}
        printf '%-6s %-22s' "$line" ''
        for t in "${targets[@]}"; do
            cell=-
            if [ -f "$run/cpu.$line.$t" ]; then
                cell=$(awk 'NF == 2 && $1 ~ /^[0-9.]+$/ { printf "%.0fs", $1 + $2 }' "$run/cpu.$line.$t")
            fi
            printf " %-${width}s" "${cell:--}"
        done
        printf '\n'
    done
fi
if [ "$lanes" -ge 2 ]; then
    echo "(two lanes: the first line's steps and the other lines' steps ran at the same time, venvs built in the background; a step's time includes its share of the machine)"
fi
if [ "$failed" -eq 0 ]; then
    echo "all passed in $(fmt_time "$elapsed")"
else
    echo "$failed step(s) FAILED after $(fmt_time "$elapsed")$([ "$keep_going" = 1 ] || echo ' (stopped at the first; KEEP_GOING=1 runs the rest)')"
    exit 1
fi
