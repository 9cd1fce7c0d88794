#!/usr/bin/env bash
# Run make targets on the ansible-core lines of hacking/ansible-lines and print one summary table.
#   hacking/test.sh PLAN...     each PLAN is LINE:TARGET[,TARGET...], e.g. 2.21:venv,units 2.19:venv,units
# `make test` and `make matrix` build the plan (see the Makefile). Every step is `make TARGET LINE=LINE`
# (which selects that line's venv, Python and ansible-core), timed, and reported in a table with a
# row per line and a column per target:  ok 12s | FAIL 3s | not run (an earlier step failed) | - .
# KEEP_GOING=1 (the default when CI is set) runs every step even after a failure, so one CI run
# reports every broken line; KEEP_GOING=0 stops at the first failure. A line whose venv cannot be
# built (no Python of its series, ansible-core does not install) FAILS: it is never skipped.
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
        start=$(date +%s)
        if "${clean_env[@]}" make --no-print-directory -C "$root" "$t" LINE="$line" </dev/null; then
            result[$line/$t]="ok $(fmt_time $(( $(date +%s) - start )))"
        else
            result[$line/$t]="FAIL $(fmt_time $(( $(date +%s) - start )))"
            failed=$((failed + 1))
            echo "===== ansible-core $line: make $t FAILED =====" >&2
        fi
    done
done
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
if [ "$failed" -eq 0 ]; then
    echo "all passed in $(fmt_time "$elapsed")"
else
    echo "$failed step(s) FAILED after $(fmt_time "$elapsed")$([ "$keep_going" = 1 ] || echo ' (stopped at the first; KEEP_GOING=1 runs the rest)')"
    exit 1
fi
