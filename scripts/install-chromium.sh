#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (test/support/browser.ts drives
# /usr/bin/chromium through playwright-core; no browser is downloaded by npm).
# Does nothing when /usr/bin/chromium already exists. Needs root (or sudo).
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "install-chromium: $CHROMIUM already present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown')), nothing to do"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-chromium: $CHROMIUM is missing and this needs root (no sudo found)" >&2
    exit 1
  fi
fi

echo "install-chromium: $CHROMIUM is missing; running apt-get update"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
echo "install-chromium: running apt-get install -y chromium"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation
echo "install-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
