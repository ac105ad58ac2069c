#!/bin/sh
# The browser tests (test/browser) drive Debian's chromium; playwright never downloads one.
# A Japanese font keeps the screenshots in docs/screenshots legible.
set -eu
missing=
[ -x /usr/bin/chromium ] || missing="chromium"
fc-list :lang=ja 2>/dev/null | grep -q . || missing="$missing fonts-ipafont-gothic"
[ -n "$missing" ] || exit 0
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # one word per package
$SUDO apt-get install -y -qq $missing >/dev/null
/usr/bin/chromium --version 2>/dev/null
