#!/usr/bin/env bash
# Run make targets on the ansible-core lines of hacking/ansible-lines and print one summary table.
#   hacking/test.sh PLAN...     each PLAN is LINE:TARGET[,TARGET...], e.g. 2.21:venv,units 2.19:venv,units
# `make test` and `make matrix` build the plan (see the Makefile). Every step is `make TARGET LINE=LINE`
# (which selects that line's venv, Python and ansible-core), timed, and reported in a table with a
# row per line and a column per target:  ok 12s | FAIL 3s | not run (an earlier step failed) | - .
# KEEP_GOING=1 (the default when CI is set) runs every step even after a failure, so one CI run
# reports every broken line; KEEP_GOING=0 stops at the first failure. A line whose venv cannot be
# built (no Python of its series, ansible-core does not install) FAILS: it is never skipped.
# The venv steps of all lines start at once, in the background (mostly downloads and unpacking, so
# they overlap the first line's steps well); a line's venv step waits for its build and reports the
# build's own time. PREBUILD_VENVS=0 builds each venv when its line comes, as the other steps run.
# Exit status: 0 when every step passed, 1 otherwise.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
keep_going=${KEEP_GOING:-}
[ -n "$keep_going" ] || { [ -n "${CI:-}" ] && keep_going=1 || keep_going=0; }
[ $# -gt 0 ] || { echo "usage: hacking/test.sh LINE:TARGET[,TARGET...]..." >&2; exit 2; }

# The sub-makes get their venv, Python and ansible-core from LINE alone, not from this make's
# variables or environment (a `make test VENV=...` would otherwise put every line in one venv).
clean_env=(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u VENV -u ANSIBLE_CORE -u PYTHON_SERIES -u PYTHON)

fmt_time() {
    local s=$1
    if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}
line_field() {  # line_field LINE N -> the Nth column of LINE's row in hacking/ansible-lines
    awk -v l="$1" -v n="$2" '!/^[[:space:]]*#/ && NF && $1 == l { print $n; exit }' hacking/ansible-lines
}

declare -A result=()
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
        result[$line/$t]="not run"
    done
done

failed=0 total_start=$(date +%s)

# Start every line's venv build now; the venv step of the line waits for it (venv_step below).
declare -A venv_pid=()
logs=$root/.build/test-logs
if [ "${PREBUILD_VENVS:-1}" = 1 ]; then
    mkdir -p "$logs"
    for plan in "$@"; do
        line=${plan%%:*}
        [[ ",${plan#*:}," == *,venv,* ]] || continue
        rm -f "$logs/venv-$line.status"
        (
            start=$(date +%s) rc=0
            "${clean_env[@]}" make --no-print-directory -C "$root" venv LINE="$line" </dev/null >"$logs/venv-$line.log" 2>&1 || rc=$?
            echo "$rc $(( $(date +%s) - start ))" >"$logs/venv-$line.status"
        ) &
        venv_pid[$line]=$!
    done
    echo "test.sh: building the venvs of ${!venv_pid[*]} in the background (logs: .build/test-logs/venv-LINE.log)"
fi

# run_step LINE TARGET: 0 when it passed; sets step_seconds.
run_step() {
    local line=$1 t=$2 start rc=0
    start=$(date +%s)
    if [ "$t" = venv ] && [ -n "${venv_pid[$line]:-}" ]; then
        wait "${venv_pid[$line]}" || true
        cat "$logs/venv-$line.log"
        read -r rc step_seconds <"$logs/venv-$line.status" 2>/dev/null || { rc=1 step_seconds=$(( $(date +%s) - start )); }
        echo "(built in the background in ${step_seconds}s; waited $(( $(date +%s) - start ))s for it here)"
        return "$rc"
    fi
    "${clean_env[@]}" make --no-print-directory -C "$root" "$t" LINE="$line" </dev/null || rc=$?
    step_seconds=$(( $(date +%s) - start ))
    return "$rc"
}

for plan in "$@"; do
    line=${plan%%:*}
    IFS=, read -r -a steps <<<"${plan#*:}"
    for t in "${steps[@]}"; do
        if [ "$failed" -gt 0 ] && [ "$keep_going" != 1 ]; then
            break 2
        fi
        if [ "${result[$line/venv]:-}" != "" ] && [[ "${result[$line/venv]}" == FAIL* ]]; then
            continue   # no venv for this line: its other steps stay "not run"
        fi
        printf '\n===== ansible-core %s: make %s =====\n' "$line" "$t"
        if run_step "$line" "$t"; then
            result[$line/$t]="ok $(fmt_time "$step_seconds")"
        else
            result[$line/$t]="FAIL $(fmt_time "$step_seconds")"
            failed=$((failed + 1))
            echo "===== ansible-core $line: make $t FAILED =====" >&2
        fi
    done
done
# A stop at the first failure leaves background venv builds running: let them finish (they are
# idempotent and flock-guarded), so nothing outlives this script half-done.
for pid in "${venv_pid[@]}"; do wait "$pid" 2>/dev/null || true; done
elapsed=$(( $(date +%s) - total_start ))

# The versions each line actually ran with, read from its venv.
declare -A python_of=() core_of=()
for line in "${lines[@]}"; do
    venv=$root/$(line_field "$line" 4)
    python_of[$line]=$("$venv/bin/python" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo "?")
    core_of[$line]=$("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)' 2>/dev/null || echo "?")
done

width=12
for t in "${targets[@]}"; do [ ${#t} -lt "$width" ] || width=$(( ${#t} + 1 )); done
printf '\n===== summary: make %s =====\n' "${TEST_NAME:-test}"
printf '%-6s %-8s %-13s' line python ansible-core
for t in "${targets[@]}"; do printf " %-${width}s" "$t"; done
printf '\n'
for line in "${lines[@]}"; do
    printf '%-6s %-8s %-13s' "$line" "${python_of[$line]}" "${core_of[$line]}"
    for t in "${targets[@]}"; do printf " %-${width}s" "${result[$line/$t]:--}"; done
    printf '\n'
done
[ ${#venv_pid[@]} -eq 0 ] || echo "(venv: each line's build time; the builds ran in the background, at the same time as the steps before them)"
if [ "$failed" -eq 0 ]; then
    echo "all passed in $(fmt_time "$elapsed")"
else
    echo "$failed step(s) FAILED after $(fmt_time "$elapsed")$([ "$keep_going" = 1 ] || echo ' (stopped at the first; KEEP_GOING=1 runs the rest)')"
    exit 1
fi
