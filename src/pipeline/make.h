// The whole pipeline behind `tonepoem make`: story file -> score.mid, score.wav, video.mp4,
// cues.json and report.json in one output folder. The CLI and the end-to-end tests call this.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "audio/narrate.h"
#include "core/progress.h"
#include "music/score.h"
#include "plan/cue_sheet.h"
#include "refine/refine.h"
#include "text/analyze.h"
#include "text/document.h"
#include "video/video.h"

namespace tonepoem {

struct MakeOptions {
  std::filesystem::path story;
  std::filesystem::path output_dir;
  double duration_s = 0;  // 0: from reading speed; else 5 .. 3600
  std::uint64_t seed = 1;
  std::filesystem::path soundfont;  // empty: the installed GM SoundFont (find_soundfont)
  LanguageChoice language = LanguageChoice::automatic;
  std::vector<std::filesystem::path> lexicons;  // extra --lexicon files
  bool video = true;
  bool musicxml = false;       // also write score.musicxml
  bool refine = true;          // judge each section and refine it toward its target (src/refine)
  double refine_budget_s = 0;  // refinement time cap in seconds (0: none; see refine.h)
  VideoOptions video_options;
  // Besides score.wav (always written: `tonepoem video` reads it), the mastered audio in this
  // format as score.<ext> with title, artist and seed tags; wav16 writes nothing more.
  AudioFileFormat audio_format = AudioFileFormat::wav16;
  std::string artist = "tonepoem";
  bool stems = false;  // also stems/<group>.wav: each instrument group alone, at the mix's gain
  // --narrate: espeak-ng reads the story; its timings set the plan's and the captions' (words
  // included), and the music ducks under the voice. --duration is then not accepted.
  bool narrate = false;
  std::string voice;    // espeak-ng voice; empty: "cmn" for Chinese stories, else "en"
  DuckOptions ducking;  // depth_db 8 .. 40

  // Every problem with these options, each naming the option and what it accepts. Empty when valid.
  std::vector<std::string> validate() const;
};

struct MakeResult {
  Document document;
  EmotionArc arc;
  CueSheet cues;
  Score score;
  std::vector<Emotion> judged;                // per section, from the judge
  std::vector<SectionRefinement> refinement;  // per section; empty with refine off
  LoudnessReport loudness;                    // of score.wav
  LoudnessReport video_loudness;              // of the AAC audio decoded back from video.mp4
  Narration narration;                        // empty unless options.narrate
  std::string voice;                          // the voice that read it
  std::vector<std::string> stems;             // file names under stems/, when asked
  std::filesystem::path soundfont;
  std::vector<std::pair<std::string, double>> timings;  // wall seconds per stage
  nlohmann::json report;                                // what report.json holds
};

// Runs every stage and writes the outputs (each atomically, report.json last). Resources (data
// folder, SoundFont, output folder) are checked before any slow work. Throws Error.
MakeResult make(const MakeOptions& options, ProgressReporter& progress);

// The report.json document for a finished run (segments, sections, loudness, timings).
nlohmann::json build_report(const MakeResult& result, const MakeOptions& options);

}  // namespace tonepoem
