#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright (no browser download). Install it when missing and
# we may; otherwise the browser tests skip and say why.
set -u
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "chromium is not installed (apt-get install chromium): browser tests will skip" >&2
fi
exit 0
