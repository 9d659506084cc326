// The cue sheet: sections with a time span and a target emotion, plus the caption timeline. The
// plan writes it (plan/plan.h), `tonepoem make` saves it as cues.json, a person can edit it and
// re-render with `tonepoem compose cues.json`; compose, video and the judge read it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/emotion.h"
#include "model/document.h"

namespace tonepoem {

// Nudges that refinement (src/refine) chose for one cue's music. All defaults: compose maps the
// target exactly as documented. Written to cues.json as "adjust" only when not default, so a
// refined cue sheet re-composes to the same MIDI; a person may edit or delete it.
struct CueAdjust {
  std::uint64_t variation = 0;  // 0: the section's default random draw; else another
  double valence = 0, arousal = 0, tension = 0;  // added to the target before the emotion mapping
  double tempo_scale = 1.0;                      // multiplies the mapped tempo (0.5 .. 2)
  int velocity = 0;                              // added to the mapped velocity (-40 .. 40)
  int register_shift = 0;      // semitones added to the melody register (-12 .. 12)
  double density_scale = 1.0;  // multiplies the melody's notes per beat (0.5 .. 2)
  double articulation = 0;     // added to the sounded fraction of notes (-0.4 .. 0.2)
  bool is_default() const;
  bool operator==(const CueAdjust&) const = default;
};

struct Cue {
  std::string name;  // scene title
  double start_s = 0, end_s = 0;
  Emotion target;                       // what the music of this section should carry
  std::vector<std::string> characters;  // named characters present in this scene
  CueAdjust adjust;                     // refinement's nudges (default: none)
  // false: the cue is a gap, no music (cues.json "music": false, written only then): no note
  // starts in it and notes from before end where it begins; the next cue brings the music in.
  bool music = true;
};

// When a word is heard (narration) or sung (lyrics): absolute seconds, like everything else.
struct WordTiming {
  std::string text;
  double start_s = 0, end_s = 0;
};

// A sentence as it is heard (narration): from its first sound to its last, with its words.
struct SpokenLine {
  double start_s = 0, end_s = 0;
  std::vector<WordTiming> words;  // in order, inside [start_s, end_s]
};

struct Caption {
  std::string text;
  double start_s = 0, end_s = 0;
  Emotion emotion;                // the sentence's own emotion (for colouring)
  std::vector<WordTiming> words;  // optional, in order, inside [start_s, end_s]; empty: unknown
};

// A moment the music marks (an accent, a stinger, a drop to silence, a held chord) within one beat
// of when it happens: the story's peak lines (the climax, a death, a cry, a revelation).
struct HitPoint {
  double time_s = 0;  // absolute; a caption's start
  std::string kind;   // "climax", "death", "cry", "revelation", "danger", "rescue", ...
  std::string text;   // the line it marks, for people reading cues.json
};

// The emotion at a moment inside the cues: for a film, one per shot, its picture, sound and lines
// fused.
struct ArcPoint {
  double time_s = 0;  // absolute; the shot's middle
  double valence = 0, arousal = 0;
};

struct CueSheet {
  std::string title;
  Language language = Language::en;
  double duration_s = 0;  // total length of the piece
  std::uint64_t seed = 1;
  // The orchestration, a name from music_styles() (music/compose.h); "": "default". Written to
  // cues.json only when set.
  std::string style;
  std::vector<Cue> cues;          // contiguous, in order, covering [0, duration_s]
  std::vector<Caption> captions;  // one per sentence, in order, non-overlapping
  std::vector<HitPoint> hits;     // ascending, inside [0, duration_s]; may be empty
  // When not empty, what moves the music inside each cue (louder, busier where it rises) in
  // place of the captions' emotions: ascending times inside [0, duration_s].
  std::vector<ArcPoint> arc;
};

void to_json(nlohmann::json& j, const HitPoint& h);
void from_json(const nlohmann::json& j, HitPoint& h);  // lenient, as for captions
void to_json(nlohmann::json& j, const Caption& c);
void from_json(const nlohmann::json& j, Caption& c);  // lenient: missing fields stay default
void to_json(nlohmann::json& j, const CueSheet& c);
// Validates (contiguous cues covering [0, duration_s], emotions in range); throws Error(bad_input)
// saying which cue and field is wrong.
void from_json(const nlohmann::json& j, CueSheet& c);

// cues.json on disk (format documented in README.md, "Cue sheet format").
CueSheet load_cue_sheet(const std::filesystem::path& path);  // errors name the file
void save_cue_sheet(const CueSheet& cues, const std::filesystem::path& path);  // atomic

}  // namespace tonepoem
