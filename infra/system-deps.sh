#!/usr/bin/env sh
# What the reports' charts and the browser tests need from the system: Debian's Chromium with its
# driver, and a CJK font so Chinese labels render as glyphs. Installs only what is missing; needs
# root (or sudo) and apt-get. Elsewhere it says what to install and leaves the choice to you.
set -eu
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$missing fonts-noto-cjk"
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "skillsub: please install$missing (browser tests and Chinese chart labels need them)" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo -n"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends$missing fontconfig >/dev/null \
  || echo "skillsub: could not install$missing; browser tests will say so" >&2
