#!/bin/sh
# Installs the Debian packages the tests need (Chromium for the browser tests, PostgreSQL for the
# audit-log suite). Skips what is already there; needs root (or sudo) only when something is missing.
set -e
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" = "0" ] || SUDO="sudo"
  echo "installing Debian packages:$missing"
  $SUDO apt-get update -q || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi
