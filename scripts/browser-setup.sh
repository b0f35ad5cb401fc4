#!/usr/bin/env bash
# Install Debian's Chromium and CJK fonts for the browser tests (map and
# report pages are rendered and screenshotted in headless Chromium).
# Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail
missing=()
for pkg in chromium fonts-noto-cjk; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$pkg")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "browser-setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
