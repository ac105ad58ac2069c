#!/bin/sh
# The SIP suites (test/sip) and the SIP edge bench run Debian's Kamailio (the edge, with the
# async, http_client and crypto modules) and sipp (the trunk); under CI=true a missing one fails them.
set -eu
missing=
command -v kamailio >/dev/null 2>&1 || [ -x /usr/sbin/kamailio ] || missing="kamailio"
[ -f /usr/lib/x86_64-linux-gnu/kamailio/modules/http_client.so ] || [ -n "$(find /usr/lib -path '*kamailio/modules/http_client.so' 2>/dev/null | head -1)" ] || missing="$missing kamailio-utils-modules"
[ -n "$(find /usr/lib -path '*kamailio/modules/crypto.so' 2>/dev/null | head -1)" ] || missing="$missing kamailio-tls-modules"
command -v sipp >/dev/null 2>&1 || missing="$missing sip-tester"
[ -n "$missing" ] || exit 0
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # one word per package
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
/usr/sbin/kamailio -v | head -1
sipp -v 2>/dev/null | grep -m1 SIPp || true
