#!/usr/bin/env bash
# A Java 17 (or newer) runtime for ansible-rulebook (its rules engine, drools, runs in a JVM), which
# tests/integration/test_eda_rulebook.py runs. `make venv` calls this for the newest line, whose venv
# holds ansible-rulebook (tests/requirements-dev.txt).
#   present (java -version >= 17)       nothing to do
#   missing or older, root + apt-get     apt-get install -y openjdk-17-jre-headless (CI: root on Debian)
#   otherwise                            fails, saying what to install
# JAVA=/path/to/java checks another binary.
set -euo pipefail

java=${JAVA:-java}
want=17

major() {  # the major version of a java binary, or nothing: "17.0.15" -> 17, "1.8.0_392" -> 8
    local line version
    line=$("$1" -version 2>&1 | grep -m1 -E 'version "[^"]+"') || return 0
    version=${line#*version \"}
    version=${version%%\"*}
    case $version in
    1.*) version=${version#1.} ;;
    esac
    echo "${version%%[.+_-]*}"
}

have() {
    local found
    command -v "$java" >/dev/null 2>&1 || return 1
    found=$(major "$java")
    [ -n "$found" ] && [ "$found" -ge "$want" ]
}

if have; then
    exit 0
fi
describe() {
    if ! command -v "$java" >/dev/null 2>&1; then
        echo "not installed"
    else
        "$java" -version 2>&1 | grep -m1 -E 'version "' || echo "$(command -v "$java"), which says no Java version"
    fi
}

if [ -z "${JAVA:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "java: no Java $want+ runtime for ansible-rulebook; installing openjdk-17-jre-headless"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends openjdk-17-jre-headless >/dev/null 2>&1; then
        apt-get update -qq
        apt-get install -y --no-install-recommends openjdk-17-jre-headless >/dev/null
    fi
    hash -r
    if have; then
        echo "java: $("$java" -version 2>&1 | head -n1)"
        exit 0
    fi
fi
echo "java: ansible-rulebook needs a Java $want+ runtime; $java: $(describe). Install one (Debian/Ubuntu:" \
    "sudo apt-get install openjdk-17-jre-headless; Fedora/RHEL: sudo dnf install java-17-openjdk-headless)," \
    "or point JAVA at one." >&2
exit 1
