#!/usr/bin/env bash
# Creates the system user the SOCKS5 tests authenticate as: dante's `socksmethod: username`
# checks usernames and passwords against the system's password database, it has no list of its
# own. A system account with no home and no login shell; remove it with `userdel couriersocks`.
set -euo pipefail
name=couriersocks
password=courier-socks-test
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
if ! getent passwd "$name" >/dev/null; then
  $sudo useradd --system --no-create-home --shell /usr/sbin/nologin "$name"
fi
echo "$name:$password" | $sudo chpasswd
