#include "jobs/make_job.h"

#include "jobs/report_html.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <limits>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "audio/sing.h"
#include "core/error.h"
#include "core/files.h"
#include "footage/film_cues.h"
#include "judge/judge.h"
#include "model/timeline.h"
#include "music/compose.h"
#include "music/midi.h"
#include "music/musicxml.h"
#include "text/reading.h"
#include "video/probe.h"

namespace tonepoem {

OptionProblems MakeOptions::validate() const {
  OptionProblems problems;
  if (!is_music_style(music_style)) problems.push_back({"music_style", style_problem(music_style)});
  if (cue_sheet) {
    if (!story.empty() || !story_text.empty())
      problems.push_back({"cues", "give a story or a cue sheet, not both"});
    if (duration_s != 0)
      problems.push_back({"duration", "not accepted with a cue sheet (its cues set the length)"});
    if (narrate)
      problems.push_back({"narrate",
                          "not accepted with a cue sheet (narration times the plan, "
                          "which the cue sheet replaces)"});
    if (song) problems.push_back({"song", "not accepted with a cue sheet"});
  } else if (story.empty() && story_text.empty()) {
    problems.push_back({"story", "give the story to read: " + accepted_input_formats()});
  }
  if (!story.empty() && !story_text.empty())
    problems.push_back({"story", "give the story as a file or as text, not both"});
  if (duration_s != 0 && !(duration_s >= 5 && duration_s <= 3600))
    problems.push_back({"duration", fmt::format("{} is out of range; accepts 5 to 3600 seconds (or "
                                                "0 to follow reading speed)",
                                                duration_s)});
  if (narrate && duration_s != 0)
    problems.push_back({"duration", "not accepted with narration (the reading sets the length)"});
  if (song && narrate)
    problems.push_back({"song", "not accepted with narration (a song is sung, not read)"});
  if ((!lyrics.empty() || !lyrics_text.empty()) && !song)
    problems.push_back({"lyrics", "sets the words of a song: ask for a song too (--song)"});
  if (sing && !song)
    problems.push_back({"sing", "sings a song's words: ask for a song too (--song)"});
  if (const std::optional<VoiceRange> range = find_voice_range(voice_range); !range)
    problems.push_back({"voice_range", fmt::format("'{}' is not a voice range; accepts {}",
                                                   voice_range, accepted_voice_ranges())});
  else if (range->name != kVoiceRanges.front().name && !song)
    problems.push_back({"voice_range",
                        "sets the range of a song's vocal line: ask for a song "
                        "too (--song)"});
  if (!lyrics.empty() && !lyrics_text.empty())
    problems.push_back({"lyrics", "give the lyrics as a file or as text, not both"});
  if (narrate && !(ducking.depth_db >= 8 && ducking.depth_db <= 40))
    problems.push_back(
        {"duck", fmt::format("{} dB is out of range; accepts 8 to 40 dB", ducking.depth_db)});
  if (!(refine_budget_s >= 0))
    problems.push_back({"refine_budget", fmt::format("{} is out of range; accepts 0 (no cap) or "
                                                     "more seconds",
                                                     refine_budget_s)});
  if (video || captions == CaptionFormat::ass)
    for (OptionProblem& p : video_options.validate()) problems.push_back(std::move(p));
  return problems;
}

namespace {

// Reads the story aloud (the Document is left as parsed: the plan takes the spoken timings).
// Chinese read by the Mandarin voice goes through pinyin (text/reading.h): espeak-ng's `cmn`
// reads many characters as English words; any other voice asked for reads the text as written.
void narrate_story(MakeResult& result, const MakeOptions& options,
                   std::shared_ptr<const Lexicons> lexicons, const CancelToken& cancel) {
  const Document& doc = result.document;
  const bool pinyin =
      doc.language == Language::zh && (options.voice.empty() || options.voice == "cmn" ||
                                       options.voice == std::string_view(kPinyinVoice));
  result.voice = pinyin                         ? std::string(kPinyinVoice)
                 : !options.voice.empty()       ? options.voice
                 : doc.language == Language::zh ? "cmn"
                                                : "en";
  const NarrationReader reader(std::move(lexicons));
  std::vector<SentenceReading> readings;
  std::vector<bool> scene_starts(doc.sentences.size(), false);
  for (const Sentence& s : doc.sentences)
    readings.push_back(pinyin ? reader.read(s.text, Language::zh) : reading_as_written(s.text));
  for (const Scene& scene : doc.scenes)
    if (scene.sentence_count > 0 && scene.first_sentence < scene_starts.size())
      scene_starts[scene.first_sentence] = true;
  NarrationOptions narration;
  narration.voice = result.voice;
  result.narration = narrate_readings(readings, scene_starts, narration, cancel);
}

// A cue sheet seen as a story: its captions are the sentences (with their emotions), each cue a
// scene holding the captions that start inside it.
void read_cue_sheet(const CueSheet& cues, MakeResult& result) {
  Document& doc = result.document;
  doc.source = "cues.json";
  doc.title = cues.title;
  doc.language = cues.language;
  for (const Cue& cue : cues.cues) {
    Scene scene{cue.name, doc.sentences.size(), 0};
    for (const Caption& caption : cues.captions)
      if (caption.start_s >= cue.start_s &&
          (caption.start_s < cue.end_s || &cue == &cues.cues.back())) {
        Sentence sentence;
        sentence.text = caption.text;
        sentence.scene = sentence.paragraph = doc.scenes.size();
        sentence.start_s = caption.start_s;
        sentence.end_s = caption.end_s;
        doc.sentences.push_back(std::move(sentence));
        result.arc.sentences.push_back(caption.emotion);
        ++scene.sentence_count;
      }
    doc.scenes.push_back(std::move(scene));
    result.arc.scenes.push_back(cue.target);
    if (cue.target.tension >= result.arc.scenes[result.arc.climax_scene].tension)
      result.arc.climax_scene = result.arc.scenes.size() - 1;
  }
}

PlanOptions plan_options(const MakeOptions& options, const MakeResult& result) {
  PlanOptions o{.duration_s = options.duration_s, .seed = options.seed};
  if (options.narrate) {
    for (const SpokenSentence& spoken : result.narration.sentences) {
      SpokenLine line{spoken.start_s, spoken.end_s, {}};
      for (const SpokenWord& w : spoken.words) line.words.push_back({w.text, w.start_s, w.end_s});
      o.spoken.push_back(std::move(line));
    }
    o.spoken_duration_s = result.narration.audio.duration_s();
  }
  return o;
}

// The voice set 2 LU over the music's own loudness `music_lufs` (the music then ducks under
// it); the gain given to the voice is left in ducking.speech_gain_db.
void set_speech_gain(double music_lufs, const AudioBuffer& speech, DuckOptions& ducking) {
  const double speech_lufs = integrated_loudness(speech);
  if (std::isfinite(music_lufs) && std::isfinite(speech_lufs) && music_lufs > -70 &&
      speech_lufs > -70)
    ducking.speech_gain_db = music_lufs + 2.0 - speech_lufs;
}

// The accompaniment under a sung vocal: 4 dB down while the voice sings.
constexpr DuckOptions kUnderSinging{.depth_db = 4.0};

}  // namespace

// Everything the output writers read: the options, the context, the results so far and the
// mastered audio.
struct MakeState {
  const MakeOptions& options;
  JobContext& context;
  MakeResult& result;
  // Mastered (with narration when asked), spooled to an unnamed temporary file in the output
  // folder: the writers read it a block at a time, so memory does not grow with the length.
  std::optional<PcmSpool> audio;
  SynthOptions synth;
  DuckOptions ducking;
  ProgressFn progress;                // of the output being written
  std::optional<Timeline> timeline_;  // built on first use, once the score is final
  std::optional<Score> accompaniment_;

  // The picture's timeline; a song's captions are its sung lines, each word timed from its notes
  // (the video highlights the word being sung).
  const Timeline& timeline() {
    if (timeline_) return *timeline_;
    timeline_ = timeline_from_score(result.cues, result.score);
    if (options.song) {
      timeline_->captions = karaoke_captions(result.vocal, result.lyrics);
      for (Caption& c : timeline_->captions)
        for (const TimelineSection& section : timeline_->sections)
          if (c.start_s >= section.start_s) c.emotion = section.emotion;
    }
    return *timeline_;
  }

  // The voice over the music (narration or the sung guide vocal), mono at espeak-ng's rate.
  const AudioBuffer* voice() const {
    if (options.narrate) return &result.narration.audio;
    if (options.sing) return &result.sung;
    return nullptr;
  }
  // The score the synthesizer plays: with a sung vocal, all but the vocal track (the voice sings
  // its notes instead).
  const Score& rendered_score() {
    if (!options.sing) return result.score;
    if (!accompaniment_) {
      accompaniment_ = result.score;
      std::erase_if(accompaniment_->tracks, [](const Track& t) { return t.role == "vocal"; });
    }
    return *accompaniment_;
  }
  // The voice at the mastered audio's rate and gain, as the mix has it.
  AudioBuffer voice_as_mixed() const {
    AudioBuffer out = resample(*voice(), audio->sample_rate());
    const double gain = std::pow(10.0, (result.loudness.gain_db + ducking.speech_gain_db) / 20.0);
    for (float& v : out.samples) v = static_cast<float>(v * gain);
    return out;
  }

  // Where output `name` goes, and its record in report.json's outputs under `key`.
  std::filesystem::path path(const std::string& name) { return context.outputs().path_for(name); }
  // `many`: the key lists files (an array, even of one).
  void written(const std::string& key, const std::string& name, bool many = false) {
    context.outputs().written(name);
    if (many)
      result.outputs[key].push_back(name);
    else
      result.outputs[key] = name;
  }
};

namespace {

bool always(const MakeOptions&) {
  return true;
}

void write_cues(MakeState& s) {
  save_cue_sheet(s.result.cues, s.path("cues.json"));
  s.written("cues", "cues.json");
}

void write_midi(MakeState& s) {
  save_midi(s.result.score, s.path("score.mid"));
  s.written("midi", "score.mid");
}

void write_musicxml(MakeState& s) {
  save_musicxml(s.result.score, s.path("score.musicxml"));
  s.written("musicxml", "score.musicxml");
}

// score.wav and the chosen format side by side (the encoder is the slow one).
void write_mastered_audio(MakeState& s) {
  const MakeOptions& options = s.options;
  const CancelToken& cancel = s.context.cancel();
  const std::filesystem::path wav = s.path("score.wav");
  std::exception_ptr wav_error;
  std::thread wav_writer([&] {
    try {
      write_audio(*s.audio, wav, AudioFileFormat::wav16, {}, cancel);
    } catch (...) {
      wav_error = std::current_exception();
    }
  });
  std::string other;
  try {
    if (options.audio_format != AudioFileFormat::wav16) {
      const std::string stem =
          s.result.document.title.empty()
              ? (options.story.empty() ? std::filesystem::path(options.story_name) : options.story)
                    .stem()
                    .string()
              : s.result.document.title;
      const AudioTags tags{.title = stem,
                           .artist = options.artist,
                           .comment = fmt::format("tonepoem seed {}", options.seed)};
      other = "score" + std::string(audio_format_extension(options.audio_format));
      write_audio(*s.audio, s.path(other), options.audio_format, tags, cancel);
    }
  } catch (...) {
    wav_writer.join();
    throw;
  }
  wav_writer.join();
  if (wav_error) std::rethrow_exception(wav_error);
  s.written("audio", "score.wav");
  if (!other.empty())
    s.written("audio_" + std::string(audio_format_name(options.audio_format)), other);
}

// Each instrument group alone at the mix's gain, and the voice as it is in the mix.
void write_stems(MakeState& s) {
  const MakeOptions& options = s.options;
  const CancelToken& cancel = s.context.cancel();
  const double gain = std::pow(10.0, s.result.loudness.gain_db / 20.0);
  for (Stem& stem : synthesize_stems(s.rendered_score(), s.synth, s.progress, cancel)) {
    for (float& v : stem.audio.samples) v = static_cast<float>(v * gain);
    const std::string name = "stems/" + stem.name + ".wav";
    write_audio(stem.audio, s.path(name), AudioFileFormat::wav24, {}, cancel);
    s.written("stems", name, true);
  }
  if (options.narrate || options.sing) {
    const std::string name = options.narrate ? "stems/narration.wav" : "stems/vocal.wav";
    write_audio(s.voice_as_mixed(), s.path(name), AudioFileFormat::wav24, {}, cancel);
    s.written("stems", name, true);
  }
}

// The sung guide vocal alone, as it is in the mix.
void write_sung_vocal(MakeState& s) {
  write_audio(s.voice_as_mixed(), s.path("vocal.wav"), AudioFileFormat::wav24, {},
              s.context.cancel());
  s.written("vocal", "vocal.wav");
}

void write_captions(MakeState& s) {
  const bool srt = s.options.captions == CaptionFormat::srt;
  const std::string name = srt ? "captions.srt" : "captions.ass";
  write_file_atomically(s.path(name), srt ? captions_srt(s.timeline())
                                          : captions_ass(s.timeline(), s.options.video_options));
  s.written("captions", name);
}

void write_lyrics(MakeState& s) {
  const MakeResult& r = s.result;
  write_file_atomically(s.path("lyrics.txt"), lyrics_text(r.lyrics));
  s.written("lyrics", "lyrics.txt", true);
  write_file_atomically(s.path("lyrics.json"), nlohmann::json(r.lyrics).dump(2) + "\n");
  s.written("lyrics", "lyrics.json", true);
  write_file_atomically(s.path("lyrics.lrc"), lrc_text(r.vocal, r.lyrics.title));
  s.written("lyrics", "lyrics.lrc", true);
  write_file_atomically(s.path("lyrics.enhanced.lrc"),
                        enhanced_lrc_text(r.vocal, r.lyrics, r.lyrics.title));
  s.written("lyrics", "lyrics.enhanced.lrc", true);
  write_file_atomically(s.path("lyrics.ass"), ass_karaoke_text(r.vocal, r.lyrics, r.lyrics.title));
  s.written("lyrics", "lyrics.ass", true);
}

void write_video(MakeState& s) {
  const std::filesystem::path path = s.path("video.mp4");
  render_video(*s.audio, s.timeline(), s.options.video_options, path, s.progress,
               s.context.cancel());
  // AAC can push peaks over the limiter's ceiling: measure what the viewer actually hears.
  s.result.video_loudness = measure_file_loudness(path);
  s.written("video", "video.mp4");
}

constexpr std::array kMakeOutputs = {
    MakeOutput{"cues", "cues.json", always, write_cues},
    MakeOutput{"midi", "score.mid", always, write_midi},
    MakeOutput{"lyrics", "lyrics.txt, lyrics.json, lyrics.lrc, lyrics.enhanced.lrc, lyrics.ass",
               [](const MakeOptions& o) { return o.song; }, write_lyrics},
    MakeOutput{"musicxml", "score.musicxml", [](const MakeOptions& o) { return o.musicxml; },
               write_musicxml},
    MakeOutput{"audio", "score.wav (and score.EXT in the chosen format)", always,
               write_mastered_audio},
    MakeOutput{"vocal", "vocal.wav", [](const MakeOptions& o) { return o.sing; }, write_sung_vocal},
    MakeOutput{"stems", "stems/GROUP.wav", [](const MakeOptions& o) { return o.stems; },
               write_stems},
    MakeOutput{"captions", "captions.srt or captions.ass",
               [](const MakeOptions& o) { return o.captions != CaptionFormat::none; },
               write_captions},
    MakeOutput{"video", "video.mp4", [](const MakeOptions& o) { return o.video; }, write_video},
};

}  // namespace

std::span<const MakeOutput> make_outputs() {
  return kMakeOutputs;
}

namespace {

// Read, analyse, (narrate,) plan and (for a song) write the lyrics.
void read_and_plan(const MakeOptions& options, JobContext& context, MakeResult& result) {
  auto lexicons = load_lexicons({.data_dir = {}, .user_lexicons = options.lexicons});
  context.stage("read");
  const ParseOptions parse_options{.language = options.language};
  result.document = options.story_text.empty()
                        ? parse_file(options.story, parse_options)
                        : parse_text(options.story_text,
                                     options.story_name.empty() ? "story.txt" : options.story_name,
                                     parse_options);

  context.stage("analyze");
  result.arc = analyze(result.document, {.lexicons = lexicons});

  if (options.narrate) {
    context.stage("narrate");
    narrate_story(result, options, lexicons, context.cancel());
  }

  context.stage("plan");
  result.cues = plan(result.document, result.arc, plan_options(options, result));
  if (options.song) {
    context.stage("lyrics");
    // The user's words are read once; a new plan only moves which cues their verses sing over.
    const bool own_words = !options.lyrics.empty() || !options.lyrics_text.empty();
    const std::filesystem::path source = options.lyrics.empty() ? "lyrics" : options.lyrics;
    const std::string given = !options.lyrics_text.empty() ? options.lyrics_text
                              : options.lyrics.empty()     ? ""
                                                           : read_text_file(options.lyrics);
    LyricsOptions lyrics_options;
    lyrics_options.sentence_emotions = result.arc.sentences;  // each verse keeps its scene's mood
    auto lyrics_for = [&](const CueSheet& cues) {
      return own_words ? read_given_lyrics(given, source, result.document.title, cues, lexicons)
                       : write_lyrics(result.document, cues, lexicons, lyrics_options);
    };
    result.lyrics = lyrics_for(result.cues);
    const double sung_s = std::min(3600.0, song_duration_estimate(result.lyrics));
    if (options.duration_s == 0 && sung_s > result.cues.duration_s) {
      // Long enough to sing every line: plan again at that length, and write the lyrics for its
      // cues (a cut may move).
      PlanOptions longer = plan_options(options, result);
      longer.duration_s = sung_s;
      result.cues = plan(result.document, result.arc, longer);
      result.lyrics = lyrics_for(result.cues);
    }
  }
}

// Compose (and refine) result.cues; then the judge, and the vocal of a song.
void compose_and_refine(const MakeOptions& options, JobContext& context, MakeResult& result) {
  context.stage(options.refine ? "compose+refine" : "compose");
  if (options.refine) {
    // Refinement records its choices in the cues, so cues.json re-composes to this score.
    RefineResult refined =
        refine(result.cues, {.seed = options.seed}, {.time_cap_s = options.refine_budget_s});
    result.cues = std::move(refined.cues);
    result.score = std::move(refined.score);
    result.refinement = std::move(refined.sections);
  } else {
    result.score = compose(result.cues, {.seed = options.seed});
  }
  result.judged = judge_sections(result.score, steering_judge_weights());
  if (options.song) {
    context.stage("vocal");
    const VoiceRange range = *find_voice_range(options.voice_range);  // validated
    result.vocal = write_vocal(result.score, result.lyrics, {.low = range.low, .high = range.high});
    // The user's words are all sung or none: a song is at most an hour (a story's own lyrics may
    // lose their last lines, which report.json counts).
    const bool own_words = !options.lyrics.empty() || !options.lyrics_text.empty();
    if (own_words && result.vocal.unsung > 0) {
      const VocalStats v = vocal_stats(result.lyrics, result.vocal);
      fail_input(options.lyrics.empty() ? "lyrics" : options.lyrics.string(),
                 fmt::format("only {} of its {} syllables fit in the music ({:.0f} minutes, the "
                             "longest a song is made)",
                             v.sung, v.syllables, result.score.duration_s() / 60.0),
                 "give fewer lines (about 8 a minute), or split the song in parts");
    }
    // The accompaniment makes room for the voice: no busy melody and no second line under a
    // sung line (as under a film's dialogue).
    result.thinned_for_voice =
        thin_lead_under_dialogue(result.score, karaoke_captions(result.vocal, result.lyrics));
    result.score.tracks.push_back(result.vocal.track);
  }
}

}  // namespace

MakeResult score_story(const MakeOptions& options, JobContext& context) {
  throw_if_invalid(options.validate());
  MakeResult result;
  if (options.cue_sheet) {
    context.stage("read cues");
    result.cues = *options.cue_sheet;
    result.cues.seed = options.seed;
    read_cue_sheet(result.cues, result);
  } else {
    read_and_plan(options, context, result);
  }
  if (!options.music_style.empty()) result.cues.style = options.music_style;
  compose_and_refine(options, context, result);
  return result;
}

MakeResult run_make(const MakeOptions& options, JobContext& context) {
  throw_if_invalid(options.validate());
  // Resources first, so that a missing SoundFont or an unwritable folder fails in a second, not
  // after a minute of work.
  context.outputs().check_writable();
  const std::filesystem::path soundfont = find_soundfont(options.soundfont);
  MakeResult result = score_story(options, context);
  result.soundfont = soundfont;
  const CancelToken& cancel = context.cancel();
  // Under a sung vocal the accompaniment only dips: the voice leads, the band stays.
  MakeState state{options, context, result, {}, {}, options.sing ? kUnderSinging : options.ducking,
                  {},      {},      {}};
  // The video's font and pictures before the minutes of synthesis: a bad picture or a missing
  // font stops the run with nothing written.
  if (options.video) check_video_inputs(state.timeline(), options.video_options);
  if (options.sing) {
    context.stage("sing");
    const std::vector<SungNote> notes = sung_notes(result.vocal, result.lyrics);
    result.sung = sing(
        notes,
        {.voice = std::string(result.lyrics.language == Language::zh ? "cmn-latn-pinyin" : "en") +
                  std::string(find_voice_range(options.voice_range)->espeak_variant)},
        cancel);
    result.sung_accuracy = vocal_accuracy(result.sung, notes);
  }

  const ProgressFn synth_progress = context.stage("synthesize");
  state.synth.soundfont = soundfont;
  state.synth.section_fx = section_fx_for(result.score);  // calm, sad sections wetter
  // Streamed through two spools (music, mastered) in the output folder: mastering reads the music
  // spool once per attempt (a second synthesis would cost as much as the first; reading the spool
  // back is nearly free). The music's loudness is measured from the spool too: measured while
  // rendering, on a third thread beside the two parts, it made a 60-minute synthesis 1.8x slower
  // on 2 cores (71 s against 39 s), from the spool it costs a second.
  const std::filesystem::path spool_dir = context.outputs().path_for("score.wav").parent_path();
  std::optional<PcmSpool> music(std::in_place, spool_dir, state.synth.sample_rate, 2);
  synthesize_to(
      state.rendered_score(), state.synth,
      [&](const float* frames, std::size_t count) { music->append(frames, count); }, synth_progress,
      cancel);
  context.stage("master");
  state.audio.emplace(spool_dir, state.synth.sample_rate, 2);
  if (const AudioBuffer* voice = state.voice()) {
    set_speech_gain(integrated_loudness(*music, cancel), *voice, state.ducking);
    const NarrationMix mix(*music, *voice, state.ducking);
    result.loudness = master_stream(mix, state.audio->sink(), {}, cancel,
                                    std::numeric_limits<double>::quiet_NaN());
  } else {
    result.loudness = master_stream(*music, state.audio->sink(), {}, cancel,
                                    std::numeric_limits<double>::quiet_NaN());
  }
  music.reset();  // its disk space back

  for (const MakeOutput& output : kMakeOutputs) {
    if (!output.enabled(options)) continue;
    state.progress = context.stage("write " + std::string(output.key));
    output.write(state);
  }
  context.finish_stage();
  result.timings = context.timings();
  result.outputs["report_html"] = "report.html";  // written last, from the report itself
  result.report = build_report(result, options);
  if (options.song) {
    const VocalStats v = vocal_stats(result.lyrics, result.vocal);
    const RhymeStats rh = rhyme_stats(result.lyrics);
    result.report["song"] = {{"syllables", v.syllables},
                             {"sung", v.sung},
                             {"stressed", v.stressed},
                             {"stressed_on_beat", v.stressed_on_beat},
                             {"stressed_on_strong_beat", v.stressed_on_strong},
                             {"lowest_pitch", v.lowest},
                             {"highest_pitch", v.highest},
                             {"rhyme_pairs", rh.pairs},
                             {"perfect_rhymes", rh.perfect},
                             {"slant_rhymes", rh.slant},
                             {"accompaniment_notes_rested", result.thinned_for_voice},
                             {"unsung_syllables", result.vocal.unsung}};
    if (options.sing) {
      const VocalAccuracy& a = result.sung_accuracy;
      result.report["song"]["sung_vocal"] = {
          {"notes", a.notes},
          {"pitched", a.pitched},
          {"median_pitch_error_cents", a.median_pitch_error_cents},
          {"p90_pitch_error_cents", a.p90_pitch_error_cents},
          {"within_50_cents", a.within_50_cents},
          {"onsets_found", a.onsets_found},
          {"median_onset_error_ms", a.median_onset_error_ms},
          {"p90_onset_error_ms", a.p90_onset_error_ms},
          {"accompaniment_dip_db", kUnderSinging.depth_db}};
    }
  }
  write_file_atomically(context.outputs().path_for("report.json"), result.report.dump(2) + "\n");
  context.outputs().written("report.json");
  write_file_atomically(context.outputs().path_for("report.html"), report_html(result.report));
  context.outputs().written("report.html");
  return result;
}

namespace {

// What the score placed for one hit point of the cue sheet: its marker ("hit: <kind>", the nearest
// one of that kind; null when the composer marked none) and the notes at the marker's tick, as a
// listener would hear them: how many start there, the loudest, the longest, and how long nothing
// sounds from there (a drop to silence).
nlohmann::json hit_event_json(const HitPoint& hit, const Score& score) {
  const std::string text = "hit: " + hit.kind;
  const std::int64_t wanted = score.tick_at(hit.time_s);
  const Marker* marker = nullptr;
  for (const Marker& m : score.hits)
    if (m.text == text &&
        (!marker || std::llabs(m.tick - wanted) < std::llabs(marker->tick - wanted)))
      marker = &m;
  if (!marker) return nullptr;
  const std::int64_t tick = marker->tick;
  int onsets = 0, loudest = 0;
  std::int64_t longest = 0, next_onset = score.end_tick;
  bool sounding = false;
  for (const Track& track : score.tracks)
    for (const Note& n : track.notes) {
      if (n.tick == tick) {
        ++onsets;
        loudest = std::max(loudest, n.velocity);
        longest = std::max(longest, n.duration);
      }
      if (n.tick <= tick && n.tick + n.duration > tick) sounding = true;
      if (n.tick > tick) next_onset = std::min(next_onset, n.tick);
    }
  const double at = score.seconds_at(tick);
  return {{"marker", marker->text},
          {"tick", tick},
          {"time_s", at},
          {"offset_s", at - hit.time_s},
          {"onsets", onsets},
          {"max_velocity", loudest},
          {"longest_note_s", onsets ? score.seconds_at(tick + longest) - at : 0.0},
          {"silence_s", sounding ? 0.0 : score.seconds_at(next_onset) - at}};
}

}  // namespace

nlohmann::json build_report(const MakeResult& r, const MakeOptions& options) {
  nlohmann::json segments = nlohmann::json::array();
  for (std::size_t i = 0; i < r.document.sentences.size(); ++i) {
    const Sentence& s = r.document.sentences[i];
    const Emotion e = i < r.arc.sentences.size() ? r.arc.sentences[i] : Emotion{};
    nlohmann::json seg = {{"index", i},
                          {"text", s.text},
                          {"line", s.line},
                          {"scene", s.scene},
                          {"valence", e.valence},
                          {"arousal", e.arousal},
                          {"tension", e.tension},
                          {"emotion", e.dominant_name()},
                          {"confidence", e.confidence}};
    if (i < r.cues.captions.size()) {
      seg["start_s"] = r.cues.captions[i].start_s;
      seg["end_s"] = r.cues.captions[i].end_s;
    }
    segments.push_back(std::move(seg));
  }
  nlohmann::json sections = nlohmann::json::array();
  for (std::size_t i = 0; i < r.score.sections.size(); ++i) {
    nlohmann::json s = r.score.sections[i];
    if (i < r.judged.size()) s["judged"] = r.judged[i];
    if (i < r.cues.cues.size()) s["characters"] = r.cues.cues[i].characters;
    if (i < r.refinement.size()) s["refinement"] = r.refinement[i];
    sections.push_back(std::move(s));
  }
  nlohmann::json hits = nlohmann::json::array();
  for (const HitPoint& h : r.cues.hits) {
    nlohmann::json j = h;
    j["music"] = hit_event_json(h, r.score);
    hits.push_back(std::move(j));
  }
  nlohmann::json timings = nlohmann::json::object();
  double total = 0;
  for (const auto& [name, seconds] : r.timings) {
    timings[name] = seconds;
    total += seconds;
  }
  timings["total"] = total;
  return {
      {"format", "tonepoem-report/1"},
      {"story", options.cue_sheet       ? std::string("cues.json")
                : options.story.empty() ? options.story_name
                                        : options.story.string()},
      {"title", r.document.title},
      {"language", language_name(r.document.language)},
      {"seed", options.seed},
      {"refined", options.refine},
      {"duration_s", r.score.duration_s()},
      {"soundfont", r.soundfont.string()},
      {"climax_scene", r.arc.climax_scene},
      {"characters", r.arc.characters},
      {"segments", std::move(segments)},
      {"sections", std::move(sections)},
      {"hits", std::move(hits)},
      {"loudness", r.loudness},
      {"mastering",
       {{"target_lufs", MasterOptions{}.target_lufs},
        {"true_peak_ceiling_dbtp", MasterOptions{}.true_peak_ceiling_dbtp},
        {"loudness_error_lu", std::abs(r.loudness.integrated_lufs - MasterOptions{}.target_lufs)}}},
      {"narration", options.narrate ? nlohmann::json{{"voice", r.voice},
                                                     {"duck_depth_db", options.ducking.depth_db},
                                                     {"sentences", r.narration.sentences.size()},
                                                     {"speech_s", r.narration.audio.duration_s()}}
                                    : nlohmann::json()},
      {"video_loudness", options.video ? nlohmann::json(r.video_loudness) : nlohmann::json()},
      {"outputs", r.outputs},
      {"timings_s", std::move(timings)}};
}

}  // namespace tonepoem
