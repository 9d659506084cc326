#!/usr/bin/env bash
# End-to-end timing of `tonepoem make` on the bundled examples: wall time per stage, from the
# report each run writes. Usage: bench/pipeline_stages.sh [BUILD_DIR] [DURATION_S]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
duration=${2:-60}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for story in "$root"/examples/*.txt; do
  name=$(basename "$story" .txt)
  "$build/tonepoem" make "$story" -o "$out/$name" --duration "$duration" --quiet >/dev/null
  printf '%s (%s s of music, 1280x720 @ 30 fps; load average %s):\n' "$name" "$duration" "$(cut -d' ' -f1 /proc/loadavg)"
  node -e '
    const r = require(process.argv[1]);
    const order = ["read", "analyze", "narrate", "plan", "compose", "compose+refine", "synthesize", "master", "write cues", "write midi", "write audio", "write stems", "write video", "total"];
    const keys = [...order.filter((k) => k in r.timings_s), ...Object.keys(r.timings_s).filter((k) => !order.includes(k))];
    for (const k of keys) console.log(`  ${k.padEnd(11)} ${r.timings_s[k].toFixed(3)} s`);
  ' "$out/$name/report.json"
done
