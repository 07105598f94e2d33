#!/usr/bin/env bash
# Make sure the Debian packages named on the command line are installed.
# As root on Debian it installs what is missing; otherwise it prints the
# exact command to run and fails, so `make` stops with a clear message.
set -euo pipefail

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "note: not a Debian system; make sure these are installed: $*" >&2
    exit 0
fi

missing=()
for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "coreg-audio needs these system packages: ${missing[*]}" >&2
    echo "install them with:" >&2
    echo "    sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
