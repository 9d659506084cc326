// The `make` job: a story -> score.mid, score.wav, video.mp4, cues.json and report.json (and
// whatever else the options ask for), written through the job's OutputSink. The CLI's
// `tonepoem make`, the golden tests and, later, a server call this.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "audio/narrate.h"
#include "audio_analysis/vocal_accuracy.h"
#include "core/error.h"
#include "jobs/job.h"
#include "lyrics/lyrics.h"
#include "lyrics/vocal.h"
#include "model/score.h"
#include "plan/plan.h"
#include "refine/refine.h"
#include "text/analyze.h"
#include "text/document.h"
#include "video/video.h"

namespace tonepoem {

enum class CaptionFormat { none, srt, ass };

struct MakeOptions {
  // The story: a file (`story`), or text given directly (`story_text`, e.g. from an HTTP body)
  // with `story_name` standing for the file in messages and format detection ("tale.md").
  std::filesystem::path story;
  std::string story_text;
  std::string story_name;
  double duration_s = 0;  // 0: from reading speed; else 5 .. 3600
  std::uint64_t seed = 1;
  // The music's orchestration (music_styles()); "": the cue sheet's, else default. Not the
  // video's look (video_options.style).
  std::string music_style;
  std::filesystem::path soundfont;  // empty: the installed GM SoundFont (find_soundfont)
  LanguageChoice language = LanguageChoice::automatic;
  std::vector<std::filesystem::path> lexicons;  // extra lexicon TSV files
  bool video = true;
  bool musicxml = false;       // also write score.musicxml
  bool refine = true;          // judge each section and refine it toward its target (src/refine)
  double refine_budget_s = 0;  // refinement time cap in seconds (0: none; see refine.h)
  VideoOptions video_options;
  CaptionFormat captions = CaptionFormat::none;  // also captions.srt or captions.ass
  // Besides score.wav (always written: the video job reads it), the mastered audio in this
  // format as score.<ext> with title, artist and seed tags; wav16 writes nothing more.
  AudioFileFormat audio_format = AudioFileFormat::wav16;
  std::string artist = "tonepoem";
  bool stems = false;  // also stems/<group>.wav: each instrument group alone, at the mix's gain
  // espeak-ng reads the story: its timings set the plan's and the captions' (words included),
  // and the music ducks under the voice. A duration is then not accepted.
  bool narrate = false;
  std::string voice;    // espeak-ng voice; empty: "cmn" for Chinese stories, else "en"
  DuckOptions ducking;  // depth_db 8 .. 40 (field "duck")
  // A song: lyrics from the story (lyrics/lyrics.h) sung by a vocal track written over the
  // composed score (lyrics/vocal.h; the accompaniment is left as composed), with lyric events in
  // score.mid and lyrics.txt, lyrics.json, lyrics.lrc, lyrics.enhanced.lrc. Without a duration,
  // the piece is made long enough for the lyrics. Not accepted with narration (field "song").
  bool song = false;
  // With song: the user's own lyrics file (lyrics/lyrics.h read_given_lyrics: plain text or
  // LRC) sung instead of lyrics from the story (field "lyrics").
  std::filesystem::path lyrics;
  // With song: the user's own lyrics given as text (an HTTP request's "lyrics"), read as a file
  // named "lyrics" would be. Not with `lyrics`.
  std::string lyrics_text;
  // With song: a sung guide vocal (audio/sing.h: espeak-ng syllables moved to the notes by Rubber
  // Band) in place of the vocal track's instrument in the audio, the accompaniment ducked a
  // little under it, and vocal.wav alone (field "sing").
  bool sing = false;
  // With song: the voice the vocal line is written for (lyrics/vocal.h kVoiceRanges: middle,
  // soprano, alto, tenor, baritone, bass; field "voice_range"). The sung guide takes a male
  // espeak-ng variant for tenor, baritone and bass.
  std::string voice_range = "middle";
  // An edited cue sheet (cues.json of an earlier run) in place of the story: reading, analysis and
  // planning are skipped, its cues are composed as written (refinement's earlier choices are in
  // their `adjust`; `refine` refines again from them) with its own seed unless `seed` says
  // otherwise, and its captions stand for the story's sentences in the report and the video. Not
  // accepted with a story, a duration, narration or a song (fields "cues", "duration", "narrate",
  // "song").
  std::optional<CueSheet> cue_sheet;

  // Every problem with these options, each naming its field ("story", "duration", "duck",
  // "refine_budget", "captions", the video's own fields) and what it accepts. Empty when valid.
  OptionProblems validate() const;
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
  SongLyrics lyrics;                          // empty unless options.song
  Vocal vocal;                                // its track is also in score
  int thinned_for_voice = 0;                  // accompaniment notes rested under sung lines
  AudioBuffer sung;                           // the guide vocal (options.sing), mono
  VocalAccuracy sung_accuracy;                // ... its pitch and onsets read back
  std::filesystem::path soundfont;
  std::vector<std::pair<std::string, double>> timings;  // wall seconds per stage
  // What the outputs table wrote, by its key: "midi": "score.mid", "stems": [...], ...
  nlohmann::json outputs = nlohmann::json::object();
  nlohmann::json report;  // what report.json holds
};

// The story's music without the audio: read, analyse, (narrate,) plan, compose and refine, as
// `make` does before synthesis; with options.cue_sheet, its cues are composed (the document and
// arc are its captions, one scene per cue). Fills document, arc, narration, voice, cues, score,
// refinement and judged. Stages are reported to `context`; the token is checked between them.
MakeResult score_story(const MakeOptions& options, JobContext& context);

// Runs every stage and writes the outputs of kMakeOutputs that the options enable, each
// atomically through context.outputs(), then report.json last. Resources (data folder,
// SoundFont, output place) are checked before any slow work. Throws InvalidOptions for bad
// options, Error otherwise (interrupted once context.cancel() is cancelled, leaving no partial
// file).
MakeResult run_make(const MakeOptions& options, JobContext& context);

// One row per output of `make`, in the order they are written: the report.json key, the files,
// and what enables it. report.json's "outputs" lists exactly what the rows wrote, so an output
// cannot go missing from it.
struct MakeState;
struct MakeOutput {
  std::string_view key;    // in report.json's "outputs"
  std::string_view files;  // for documentation ("score.wav", "stems/GROUP.wav", ...)
  bool (*enabled)(const MakeOptions& options);
  void (*write)(MakeState& state);
};
std::span<const MakeOutput> make_outputs();

// The report.json document for a finished run (segments, sections, loudness, outputs, timings).
nlohmann::json build_report(const MakeResult& result, const MakeOptions& options);

}  // namespace tonepoem
