#!/usr/bin/env bash
# Renders a report (default reports/latest/index.html) in headless Chromium to a PNG.
# Chromium comes from the distribution's packages: apt-get install chromium (GitHub's Ubuntu
# runners ship Google Chrome instead, which is used when there is no chromium).
# Usage: scripts/screenshot-report.sh [REPORT.html] [OUT.png]; WIDTH and HEIGHT set the viewport.
set -euo pipefail
report="${1:-reports/latest/index.html}"
out="${2:-reports/latest/screenshot.png}"
width="${WIDTH:-1400}"
height="${HEIGHT:-2200}"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || command -v google-chrome-stable || true)"
if [ -z "$browser" ]; then
  echo "error: chromium not found; install it with: apt-get install chromium" >&2
  exit 2
fi
[ -f "$report" ] || { echo "error: no report at $report; run: cargo run --release -- run" >&2; exit 2; }
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size="${width},${height}" \
  --screenshot="$out" "file://$(realpath "$report")" >/dev/null 2>&1
echo "$out"
