// The `score` job: a film (and its subtitles, if any) -> music that follows the picture and the
// dialogue: scored.mp4 (the film's video stream copied packet for packet, the original audio
// mixed with the score and mastered), score.mid, music.wav (the music alone, ducked, at its gain
// in the mix), cues.json and report.json, written through the job's OutputSink.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "core/error.h"
#include "footage/film_cues.h"
#include "footage/footage.h"
#include "footage/subtitle_stream.h"
#include "footage/voice_activity.h"
#include "jobs/job.h"
#include "model/score.h"
#include "text/analyze.h"
#include "text/document.h"

namespace tonepoem {

inline constexpr double kMinLoudnessLufs = -31, kMaxLoudnessLufs = -9;

struct ScoreOptions {
  std::filesystem::path video;  // any file FFmpeg opens with a video stream
  // SRT, WebVTT or ASS/SSA; empty: the first text subtitle stream inside the video, else none
  // (the picture alone drives).
  std::filesystem::path subtitles;
  // The cues.json of an earlier run of this film, edited: composed as written (its own seed and
  // style unless `style` is given) in place of the plan; its captions are the dialogue the music
  // ducks under (none: voice activity, as without subtitles). Not with `subtitles`.
  std::filesystem::path cue_sheet;
  double duck_db = 10;  // how far the music drops under each subtitle, 0 .. 40 dB
  // The delivery loudness of scored.mp4's audio (integrated, EBU R128): -14 for streaming, -23
  // (EBU R128) or -24 (ATSC A/85) for broadcast; kMinLoudnessLufs .. kMaxLoudnessLufs.
  double loudness_lufs = -14;
  std::uint64_t seed = 1;
  std::string style;                // a music style (music_styles()); "": default
  std::filesystem::path soundfont;  // empty: the installed GM SoundFont (find_soundfont)
  LanguageChoice language = LanguageChoice::automatic;
  ShotOptions shots;
  FitOptions fit;
  // Under dialogue (subtitles or detected voices) the melody rests off the beat and softens and
  // its doubling rests (thin_lead_under_dialogue).
  bool thin_lead = true;
  // The music's loudness under the original audio (when the film has some), in LU before ducking.
  double music_under_original_lu = 3.0;

  // Every problem, each naming its field ("video", "subtitles", "duck") and what it accepts.
  OptionProblems validate() const;
};

struct ScoreResult {
  FootageAnalysis film;
  bool dialogue = false;  // subtitles drove the arc
  // Where the subtitles came from: "file" (--subtitles), "stream" (inside the video), "cues"
  // (the captions of an edited cue sheet), "none".
  std::string subtitle_source = "none";
  EmbeddedSubtitles embedded;  // the video's own subtitle streams (read when no --subtitles)
  std::string subtitle_note;   // why a subtitle stream in the video was not used, or empty
  // Without subtitles, the speech found in the film's own sound track (footage/voice_activity.h):
  // the music ducks there instead. Empty with subtitles or without a sound track.
  std::vector<Caption> voice_spans;
  bool voice_detected = false;  // the detector ran
  Document document;
  EmotionArc arc;
  CueSheet cues;
  std::vector<BoundaryPlacement> boundaries;  // with dialogue: where each cue boundary went
  int gaps = 0;        // cues left without music for their dialogue (leave_gaps_for_dialogue)
  int arc_splits = 0;  // cues added where the shots' arc turns (split_cues_at_arc_turns)
  Score score;
  double tempo_bend = 0;
  int thinned_notes = 0;  // lead notes rested under dialogue         // the largest tempo change
                          // that put a section on its cut (0.02)
  std::vector<HitRow> hit_list;  // hits.csv
  LoudnessReport loudness;       // the mastered mix
  LoudnessReport delivered;      // the AAC audio decoded back from scored.mp4
  AvSpans delivered_spans;       // scored.mp4's streams, from their packets
  double delivered_audio_s = 0;  // scored.mp4's audio decoded back: samples / rate
  double original_lufs = 0;      // of the film's own audio (-inf when silent; 0 when none)
  std::filesystem::path soundfont;
  nlohmann::json outputs = nlohmann::json::object();
  nlohmann::json report;
};

// Reads the subtitles (fast, so a bad file fails before the film is decoded; without
// --subtitles, the video's first text subtitle stream, through the text stage's ASS reader: a
// stream that cannot be read is noted in the report and the film is scored without it), analyses
// the
// picture, plans (subtitles: plan/plan.h over the film's length, fitted to it with
// fit_cues_to_film; none: picture_cues, and the music ducks where the film's own sound track has
// voice activity), composes (the tempo bent so sections start on their
// cues: bend_tempo_to_cues), synthesizes, ducks, mixes and masters to `loudness_lufs`, then
// writes cues.json, score.mid, music.wav, hits.csv, scored.mp4 and report.json last (with its QC
// section: A/V sync, loudness and true peak of scored.mp4 decoded back, hit-point errors), each
// atomically. Resources are checked before slow work. Throws InvalidOptions for bad options,
// Error(bad_input) naming the file for a file that is not a video, has no video stream, or
// subtitles with no timings or a line that starts after the film ends (nothing is written then),
// Error(interrupted) once the token is cancelled.
ScoreResult run_score(const ScoreOptions& options, JobContext& context);

}  // namespace tonepoem
