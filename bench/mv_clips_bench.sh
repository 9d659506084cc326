#!/usr/bin/env bash
# `tonepoem mv --clips` on a 3-minute song and 20 clips of 1280x720 at 30 fps, against a bare x264
# encode of the same frames, in one run. Usage: bench/mv_clips_bench.sh [BUILD_DIR] [SONG_S]
#
#   clips  20 generated clips (ffmpeg lavfi: testsrc2, gradients and cellular-automaton shots,
#          8-14 s each, 2-3 hard shot changes, a sine on each as its own sound), H.264 veryfast;
#   mv     `tonepoem mv SONG -o DIR --clips DIR` at 1280x720, 30 fps, veryfast CRF 23 (the
#          default "standard" quality): the clips scanned (decoded once for their shots), the
#          edit, then every frame decoded again from its clip, drawn and encoded with the song;
#          wall time, CPU time and peak RSS from /usr/bin/time;
#   bare   the MP4's own frames decoded to raw yuv420p beforehand (untimed), then encoded by the
#          ffmpeg CLI with libx264 -preset veryfast -crf 23 and the song as AAC 192k: the encode
#          alone, the floor of any editor that writes these frames;
#   1 min  the same with a 1-minute song, for memory against song length.
# BASELINE=/path/to/tonepoem runs the 3-minute song with that binary too, last, and says whether
# both wrote the same video.mp4.
# The machine may be shared: the load average is printed beside each figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
song_s=${2:-180}
# MV_BENCH_WORK=DIR keeps the clips and songs there (made once) for a later run.
if [ -n "${MV_BENCH_WORK:-}" ]; then
  work=$MV_BENCH_WORK
  mkdir -p "$work"
else
  work=$(mktemp -d /dev/shm/mv-clips-bench.XXXXXX 2>/dev/null || mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
tp="$build/tonepoem"
export TONEPOEM_DATA=${TONEPOEM_DATA:-/work/data}
load() { cut -d' ' -f1 /proc/loadavg; }

mkdir -p "$work/clips"
for i in $(seq 0 19); do
  [ -s "$work/clips/clip$(printf %02d "$i").mp4" ] && continue
  a=$((3 + i % 3)); b=$((3 + (i * 7) % 5)); c=$((2 + (i * 5) % 4))
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=1280x720:rate=30:duration=$a" \
    -f lavfi -i "gradients=size=1280x720:rate=30:duration=$b:speed=0.02:seed=$i" \
    -f lavfi -i "cellauto=size=1280x720:rate=30:rule=$((18 + i * 4)),trim=duration=$c" \
    -f lavfi -i "sine=f=$((300 + 40 * i)):duration=$((a + b + c))" \
    -filter_complex "[0:v]hue=h=$((i * 17))[v0];[1:v]format=yuv420p[v1];[2:v]format=yuv420p[v2];[v0][v1][v2]concat=n=3:v=1:a=0,format=yuv420p[v]" \
    -map "[v]" -map 3:a -c:v libx264 -preset veryfast -crf 20 -c:a aac -shortest \
    "$work/clips/clip$(printf %02d "$i").mp4"
done
clip_s=$(for f in "$work"/clips/*.mp4; do ffprobe -v error -show_entries format=duration -of csv=p=0 "$f"; done | awk '{s+=$1} END {printf "%.0f", s}')

song() {  # $1: seconds -> $work/song$1.flac
  [ -s "$work/song$1.flac" ] && return 0
  "$tp" compose --emotion 0.5,0.7,0.3 --duration "$1" --seed 3 -o "$work/song$1.mid" >/dev/null
  "$tp" render "$work/song$1.mid" -o "$work/song$1.flac" >/dev/null 2>&1
}
song "$song_s"
song 60

run_mv() {  # $1: song seconds, $2: out dir [, $3: binary] -> prints "wall cpu rss_kb"
  /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" \
    "${3:-$tp}" mv "$work/song$1.flac" -o "$2" --clips "$work/clips" --resolution 1280x720 --fps 30 \
    -q >/dev/null
  awk '{printf "%s %.1f %s\n", $1, $2 + $3, $4}' "$work/time.txt"
}

echo "mv --clips bench: 20 clips (${clip_s} s of 1280x720 @ 30 fps H.264), ${song_s} s song, $(nproc) cores"
read -r wall cpu rss < <(run_mv "$song_s" "$work/out"); l1=$(load)
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$work/out/video.mp4")
ffmpeg -hide_banner -loglevel error -y -i "$work/out/video.mp4" -f rawvideo -pix_fmt yuv420p "$work/frames.yuv"
/usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" \
  ffmpeg -hide_banner -loglevel error -y -f rawvideo -pix_fmt yuv420p -s 1280x720 -framerate 30 \
    -i "$work/frames.yuv" -i "$work/song$song_s.flac" -map 0:v -map 1:a -c:v libx264 \
    -preset veryfast -crf 23 -profile:v high -pix_fmt yuv420p -c:a aac -b:a 192k \
    -movflags +faststart "$work/bare.mp4"
read -r bwall bcpu brss < <(awk '{printf "%s %.1f %s\n", $1, $2 + $3, $4}' "$work/time.txt"); l2=$(load)
rm -f "$work/frames.yuv"
read -r wall60 cpu60 rss60 < <(run_mv 60 "$work/out60"); l3=$(load)
if [ -n "${BASELINE:-}" ]; then
  read -r owall ocpu orss < <(run_mv "$song_s" "$work/out-base" "$BASELINE"); l4=$(load)
  same=$(cmp -s "$work/out/video.mp4" "$work/out-base/video.mp4" && echo "the same" || echo "a different")
  printf "  baseline %s: %.1f s wall (%.2fx the bare encode), %.1f s CPU, peak RSS %.0f MiB  (load %s); %s video.mp4\n" \
    "$BASELINE" "$owall" "$(awk -v a="$owall" -v b="$bwall" 'BEGIN{print a/b}')" "$ocpu" \
    "$(awk -v r="$orss" 'BEGIN{print r/1024}')" "$l4" "$same"
fi
awk -v s="$song_s" -v f="$frames" -v w="$wall" -v c="$cpu" -v r="$rss" -v bw="$bwall" -v bc="$bcpu" \
    -v br="$brss" -v w60="$wall60" -v r60="$rss60" -v l1="$l1" -v l2="$l2" -v l3="$l3" \
    -v cuts="$(node -e 'console.log(require(process.argv[1]).cuts.count)' "$work/out/report.json")" \
    -v err="$(node -e 'console.log(require(process.argv[1]).cuts.max_error_to_beat_ms.toFixed(2))' "$work/out/report.json")" 'BEGIN {
  printf "  mv --clips   %6.1f s wall (%.2fx realtime), %6.1f s CPU, peak RSS %4.0f MiB  (load %s)\n", w, s / w, c, r / 1024, l1
  printf "  bare x264    %6.1f s wall (%.2fx realtime), %6.1f s CPU, peak RSS %4.0f MiB  (load %s)\n", bw, s / bw, bc, br / 1024, l2
  printf "  ratio mv / bare encode: %.2fx wall; %d frames, %d cuts, max %s ms from a beat\n", w / bw, f, cuts, err
  printf "  60 s song    %6.1f s wall, peak RSS %4.0f MiB  (load %s)\n", w60, r60 / 1024, l3
}'
