#!/usr/bin/env bash
# Long-input soak (issue 19): a story of about MINUTES minutes at reading speed (default 120),
# made by repeating the public-domain tales in ../shared/data/stories-en (Grimm, Aesop: Project
# Gutenberg), then `tonepoem make --no-video --format flac16` and `tonepoem video` of the result,
# each under /usr/bin/time: wall time per stage (from report.json) and peak resident memory.
# Long (132,000 bytes, 166 minutes of music: 5.5 minutes for make and 36 minutes for the video on
# 2 cores, README "Memory and time for long stories"), so it is not part of CI. Skips cleanly (exit 0) when the data or /usr/bin/time is absent.
#
#   bench/soak.sh [BUILD_DIR] [MINUTES] [--no-video]
#   TONEPOEM_BIN=/path/to/another/tonepoem bench/soak.sh ...   # compare two builds
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
minutes=${2:-120}
video=1
[[ "${3:-}" == "--no-video" ]] && video=0
bin=${TONEPOEM_BIN:-$build/tonepoem}
data="$root/../shared/data/stories-en"
if [[ ! -d "$data" ]]; then echo "soak: skipped ($data is absent)"; exit 0; fi
if [[ ! -x /usr/bin/time ]]; then echo "soak: skipped (no /usr/bin/time; apt-get install time)"; exit 0; fi
tales=("$data"/grimms_fairy_tales_pg2591.txt "$data"/aesop_fables_townsend_pg21.txt)
for t in "${tales[@]}"; do [[ -f "$t" ]] || { echo "soak: skipped ($t is absent)"; exit 0; }; done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# About 800 bytes of these tales a minute of music (measured: 132,000 bytes gave 166 minutes;
# short stories run longer a byte, 2,550 bytes gave 2.3 minutes); the tales' bodies only (past the
# Gutenberg header), repeated until long enough.
bytes=$((minutes * 800))
: > "$out/story.txt"
while (( $(stat -c %s "$out/story.txt") < bytes )); do
  for t in "${tales[@]}"; do
    if grep -q '\*\*\* START OF' "$t"; then
      sed -n '/\*\*\* START OF/,/\*\*\* END OF/p' "$t" | sed '1d;$d' >> "$out/story.txt"
    else
      cat "$t" >> "$out/story.txt"
    fi
  done
done
# Whole lines only (a cut inside a UTF-8 character would be refused as bad input).
LC_ALL=C awk -v max="$bytes" '{ n += length($0) + 1; print; if (n >= max) exit }' "$out/story.txt" > "$out/story.cut.txt"
printf 'soak: %s bytes of story; %s; load average %s\n' "$bytes" "$("$bin" --version 2>/dev/null || echo tonepoem)" "$(cut -d' ' -f1 /proc/loadavg)"
peak() { awk '/Maximum resident/ {printf "%.0f MB", $6 / 1024}' "$1"; }
/usr/bin/time -v -o "$out/make.time" "$bin" make "$out/story.cut.txt" -o "$out/made" --no-video \
  --format flac16 --quiet > /dev/null
python3 - "$out/made/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"make: {r['duration_s'] / 60:.1f} min of music, {r['loudness']['integrated_lufs']:.2f} LUFS, "
      f"{r['loudness']['true_peak_dbtp']:.2f} dBTP")
for k, v in r["timings_s"].items():
    print(f"  {k:14} {v:8.2f} s")
PY
echo "  peak memory    $(peak "$out/make.time")"
if (( video )); then
  /usr/bin/time -v -o "$out/video.time" "$bin" video "$out/made" -o "$out/video.mp4" \
    > /dev/null 2> "$out/video.err" || { echo "soak: video failed:"; cat "$out/video.err"; exit 1; }
  printf 'video: %s wall (h:mm:ss), peak memory %s\n' \
    "$(awk -F': ' '/Elapsed/ {print $2}' "$out/video.time")" "$(peak "$out/video.time")"
fi
