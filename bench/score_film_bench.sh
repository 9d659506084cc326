#!/usr/bin/env bash
# `tonepoem score` on generated films of growing length: wall time and peak memory, to show that
# memory does not grow with the film (issue 16 asks under 500 MB whatever the length).
# Usage: bench/score_film_bench.sh [BUILD_DIR] [MINUTES...]   (default: 2 10 30)
#
#   films   lavfi testsrc2 320x180 at 25 fps and a 330 Hz sine, stereo 48 kHz (so the sound is
#           converted to the music's 44.1 kHz, as a real film's is), x264 ultrafast, AAC;
#   score   `tonepoem score FILM -o DIR -q`: wall time and peak RSS from /usr/bin/time;
#   decode  `ffmpeg -i FILM -f null -` on the same film: decoding picture and sound alone, the
#           floor under any tool that reads the film.
# BASELINE=/path/to/tonepoem scores each film with that binary too, in the same run, and says
# whether both wrote the same scored.mp4. SCORE_BENCH_WORK=DIR keeps the films there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
minutes=("$@")
[ ${#minutes[@]} -gt 0 ] || minutes=(2 10 30)
if [ -n "${SCORE_BENCH_WORK:-}" ]; then
  work=$SCORE_BENCH_WORK
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
tp="$build/tonepoem"
export TONEPOEM_DATA=${TONEPOEM_DATA:-/work/data}
load() { cut -d' ' -f1 /proc/loadavg; }

timed() {  # $1: out dir, rest: command -> prints "wall rss_kb"
  local out=$1
  shift
  rm -rf "$out"
  /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >/dev/null 2>&1
  cat "$work/time.txt"
}

echo "score bench: films of ${minutes[*]} min (320x180, 25 fps, stereo 48 kHz), $(nproc) cores"
for m in "${minutes[@]}"; do
  film="$work/film$m.mp4"
  if [ ! -s "$film" ]; then
    ffmpeg -hide_banner -loglevel error -y \
      -f lavfi -i "testsrc2=size=320x180:rate=25:duration=$((m * 60))" \
      -f lavfi -i "sine=frequency=330:sample_rate=48000:duration=$((m * 60))" -ac 2 \
      -c:v libx264 -preset ultrafast -c:a aac "$film"
  fi
  read -r dw dr < <(timed "$work/null" ffmpeg -hide_banner -loglevel error -i "$film" -f null -)
  printf "  %3d min  decode alone %7.1f s, %5.0f MiB  (load %s)\n" "$m" "$dw" "$((dr / 1024))" "$(load)"
  read -r w r < <(timed "$work/out$m" "$tp" score "$film" -o "$work/out$m" -q)
  printf "  %3d min  score        %7.1f s (%.2fx the film), peak %5.0f MiB  (load %s)\n" "$m" "$w" \
    "$(awk -v w="$w" -v m="$m" 'BEGIN { print w / (60 * m) }')" "$((r / 1024))" "$(load)"
  if [ -n "${BASELINE:-}" ]; then
    read -r bw br < <(timed "$work/base$m" "$BASELINE" score "$film" -o "$work/base$m" -q)
    same=differ
    cmp -s "$work/out$m/scored.mp4" "$work/base$m/scored.mp4" && same=same
    printf "  %3d min  baseline     %7.1f s, peak %5.0f MiB  (load %s); scored.mp4 %s\n" "$m" "$bw" \
      "$((br / 1024))" "$(load)" "$same"
  fi
done
