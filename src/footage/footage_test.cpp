#include "footage/footage.h"
#include "audio/libav_handles.h"

#include <gtest/gtest.h>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/display.h>
}

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/audio.h"
#include "audio/narrate.h"
#include "core/error.h"
#include "footage/subtitle_stream.h"
#include "footage/synthetic_video.h"
#include "footage/voice_activity.h"

namespace tonepoem {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "tonepoem-footage-test";
  fs::create_directories(dir);
  return dir / name;
}

constexpr std::array<std::uint8_t, 3> kRed{200, 30, 30}, kBlue{40, 60, 220}, kGreen{40, 190, 60},
    kYellow{230, 210, 40}, kMagenta{200, 40, 180}, kGrey{128, 128, 128}, kWhite{255, 255, 255},
    kBlack{0, 0, 0};

std::vector<std::int64_t> frames_of(const std::vector<Cut>& cuts, CutKind kind) {
  std::vector<std::int64_t> frames;
  for (const Cut& c : cuts)
    if (c.kind == kind) frames.push_back(c.frame);
  return frames;
}

// Five hard cuts, a one-frame white flash, a two-frame white flash and a fast pan: every cut on
// its frame, no flash and no pan reported.
TEST(Footage, HardCutsAreFrameExactAndFlashesAreNotCuts) {
  const fs::path video = scratch("cuts.mp4");
  using L = SyntheticLook;
  write_synthetic_video(video, {{30, kRed, L::solid},
                                {20, kBlue, L::pattern},
                                {1, kWhite, L::solid},  // flash
                                {20, kBlue, L::pattern},
                                {37, kGreen, L::pattern},
                                {40, kYellow, L::pan},
                                {10, kMagenta, L::solid},
                                {2, kWhite, L::solid},  // flash
                                {15, kMagenta, L::solid},
                                {30, kGrey, L::pattern}});
  const FootageAnalysis a = analyze_footage(video);
  EXPECT_EQ(a.frames, 205);
  EXPECT_NEAR(a.fps, 25.0, 1e-9);
  EXPECT_NEAR(a.duration_s, 205 / 25.0, 1e-6);
  EXPECT_EQ(frames_of(a.cuts, CutKind::hard), (std::vector<std::int64_t>{30, 71, 108, 148, 175}));
  EXPECT_TRUE(frames_of(a.cuts, CutKind::fade).empty());
  EXPECT_EQ(a.flashes_ignored, 2);
  for (const Cut& c : a.cuts) EXPECT_NEAR(c.time_s, c.frame / 25.0, 1e-6);
  // Shots: contiguous, one more than the cuts, with their own look.
  ASSERT_EQ(a.shots.size(), a.cuts.size() + 1);
  EXPECT_EQ(a.shots.front().first_frame, 0);
  EXPECT_EQ(a.shots.back().end_frame, 205);
  for (std::size_t i = 1; i < a.shots.size(); ++i) {
    EXPECT_EQ(a.shots[i].first_frame, a.shots[i - 1].end_frame);
    EXPECT_DOUBLE_EQ(a.shots[i].start_s, a.shots[i - 1].end_s);
  }
  EXPECT_LT(a.shots[0].motion, 0.005);                      // solid red stands still
  EXPECT_GT(a.shots[3].motion, 0.05);                       // the pan moves
  EXPECT_GT(a.shots[0].saturation, a.shots[5].saturation);  // red over grey
  EXPECT_GT(a.shots[3].brightness, a.shots[1].brightness);  // yellow over blue
}

TEST(Footage, FadeThroughBlackIsOneGradualTransition) {
  const fs::path video = scratch("fade.mkv");
  using L = SyntheticLook;
  write_synthetic_video(video, {{30, kRed, L::pattern},
                                {15, kRed, L::fade_out},
                                {5, kBlack, L::solid},
                                {15, kYellow, L::fade_in},
                                {30, kYellow, L::pattern}});
  const FootageAnalysis a = analyze_footage(video);
  EXPECT_TRUE(frames_of(a.cuts, CutKind::hard).empty());
  const std::vector<std::int64_t> fades = frames_of(a.cuts, CutKind::fade);
  ASSERT_EQ(fades.size(), 1u);
  EXPECT_GE(fades[0], 50);  // after the black, within the fade-in
  EXPECT_LT(fades[0], 65);
}

// A fade through white, and a solid shot (entered by a cut) fading through black: one fade each,
// the new shot starting as the blank frames end; the cut into the solid shot stays a hard cut.
TEST(Footage, FadesThroughAColourAndFromASolidShotAreOneFadeEach) {
  const fs::path video = scratch("colour-fades.mkv");
  using L = SyntheticLook;
  std::vector<SyntheticSegment> film = {{40, kBlue, L::pattern},     // 0
                                        {15, kBlue, L::fade_out},    // 40
                                        {5, kWhite, L::solid},       // 55
                                        {15, kYellow, L::fade_in},   // 60
                                        {40, kYellow, L::pattern},   // 75
                                        {30, kGrey, L::solid},       // 115 (a cut)
                                        {15, kGrey, L::fade_out},    // 145
                                        {15, kMagenta, L::fade_in},  // 160
                                        {30, kMagenta, L::pattern}};
  film[1].through = film[3].through = kWhite;
  write_synthetic_video(video, film);
  const FootageAnalysis a = analyze_footage(video);
  EXPECT_EQ(frames_of(a.cuts, CutKind::hard), (std::vector<std::int64_t>{115}));
  const std::vector<std::int64_t> fades = frames_of(a.cuts, CutKind::fade);
  ASSERT_EQ(fades.size(), 2u) << "through white, and the solid shot through black";
  EXPECT_GE(fades[0], 55);  // after the white, within the fade-in
  EXPECT_LT(fades[0], 75);
  EXPECT_GE(fades[1], 152);
  EXPECT_LT(fades[1], 175);
  ASSERT_EQ(a.shots.size(), a.cuts.size() + 1);
}

// A long and a short dissolve between moving patterns, and one from a pan: one dissolve each,
// the new shot starting in the dissolve's middle, no hard cut and no fade.
TEST(Footage, DissolvesAreOneTransitionEachAtTheirMiddle) {
  const fs::path video = scratch("dissolve.mkv");
  using L = SyntheticLook;
  write_synthetic_video(video, {{40, kRed, L::pattern},      // 0
                                {40, kBlue, L::dissolve},    // 40..79, middle 60
                                {40, kBlue, L::pattern},     // 80
                                {12, kYellow, L::dissolve},  // 120..131, middle 126
                                {40, kYellow, L::pan},       // 132
                                {25, kGreen, L::dissolve},   // 172..196, middle 184
                                {40, kGreen, L::pattern}});
  const FootageAnalysis a = analyze_footage(video);
  EXPECT_TRUE(frames_of(a.cuts, CutKind::hard).empty());
  EXPECT_TRUE(frames_of(a.cuts, CutKind::fade).empty());
  const std::vector<std::int64_t> dissolves = frames_of(a.cuts, CutKind::dissolve);
  ASSERT_EQ(dissolves.size(), 3u) << "one per dissolve";
  EXPECT_NEAR(dissolves[0], 60, 8);
  EXPECT_NEAR(dissolves[1], 126, 4);
  EXPECT_NEAR(dissolves[2], 184, 6);
  ASSERT_EQ(a.shots.size(), 4u);
}

TEST(Footage, AnalysisRoundTripsThroughJson) {
  const fs::path video = scratch("json.mp4");
  write_synthetic_video(video, {{10, kRed}, {10, kBlue}});
  const FootageAnalysis a = analyze_footage(video);
  ASSERT_EQ(a.cuts.size(), 1u);
  const nlohmann::json j = a;
  const FootageAnalysis b = j.get<FootageAnalysis>();
  EXPECT_EQ(nlohmann::json(b), j);
  EXPECT_EQ(b.cuts[0].frame, 10);
}

ExitCode code_of(const fs::path& file) {
  try {
    analyze_footage(file);
  } catch (const Error& e) {
    EXPECT_NE(e.describe().find(file.string()), std::string::npos) << e.describe();
    return e.code();
  }
  return ExitCode::ok;
}

TEST(Footage, BadInputIsNamed) {
  const fs::path text = scratch("not-a-video.mp4");
  std::ofstream(text) << "this is not a video\n";
  EXPECT_EQ(code_of(text), ExitCode::bad_input);
  EXPECT_EQ(code_of(scratch("missing.mp4")), ExitCode::bad_input);
  const fs::path audio_only = scratch("audio-only.m4a");
  AudioBuffer tone;
  tone.samples.resize(2 * 44100);
  write_audio(tone, audio_only, AudioFileFormat::m4a_aac);
  try {
    analyze_footage(audio_only);
    ADD_FAILURE() << "an audio file was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(e.describe().find("no video stream"), std::string::npos) << e.describe();
  }
}

// The bytes of every packet of the file's first stream of `type`.
std::vector<std::string> packets(const fs::path& file, AVMediaType type) {
  AVFormatContext* raw = nullptr;
  EXPECT_EQ(avformat_open_input(&raw, file.c_str(), nullptr, nullptr), 0);
  libav::InputPtr in(raw);
  avformat_find_stream_info(in.get(), nullptr);
  const int index = av_find_best_stream(in.get(), type, -1, -1, nullptr, 0);
  std::vector<std::string> out;
  if (index < 0) return out;
  AVPacket* p = av_packet_alloc();
  while (av_read_frame(in.get(), p) >= 0) {
    if (p->stream_index == index)
      out.emplace_back(reinterpret_cast<const char*>(p->data), static_cast<std::size_t>(p->size));
    av_packet_unref(p);
  }
  av_packet_free(&p);
  return out;
}

// The rotation a display matrix gives the video stream, or 0 without one.
double rotation_of(const fs::path& file) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, file.c_str(), nullptr, nullptr) < 0) return -1;
  libav::InputPtr in(raw);
  avformat_find_stream_info(in.get(), nullptr);
  const int index = av_find_best_stream(in.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  const std::uint8_t* matrix =
      av_stream_get_side_data(in->streams[index], AV_PKT_DATA_DISPLAYMATRIX, nullptr);
  return matrix ? av_display_rotation_get(reinterpret_cast<const std::int32_t*>(matrix)) : 0.0;
}

// Subtitle streams written by FFmpeg's own encoders into mkv (subrip, ass, webvtt) and mp4
// (mov_text) come back through libavcodec's decoders with their times and words.
TEST(Footage, TextSubtitleStreamsAreReadBackWithTheirTimes) {
  const std::vector<SyntheticSubtitle> lines = {{0.5, 1.75, "Hello, who is there?"},
                                                {2.25, 3.5, "风暴来了"}};
  struct Case {
    const char* file;
    const char* codec;
  };
  for (const Case& c : {Case{"subs-srt.mkv", "subrip"}, Case{"subs-ass.mkv", "ass"},
                        Case{"subs-vtt.mkv", "webvtt"}, Case{"subs.mp4", "mov_text"}}) {
    const fs::path video = scratch(c.file);
    write_synthetic_video(
        video, {{50, kRed, SyntheticLook::pattern}, {50, kBlue}},
        {.subtitles = lines, .subtitle_codec = c.codec, .subtitle_language = "eng"});
    const EmbeddedSubtitles subs = read_embedded_subtitles(video);
    EXPECT_EQ(subs.stream_index, 1) << c.file;
    EXPECT_EQ(subs.codec, c.codec);
    EXPECT_EQ(subs.language, "eng") << c.file;
    EXPECT_EQ(subs.events, 2) << c.file;
    EXPECT_TRUE(subs.skipped.empty());
    EXPECT_NE(subs.ass_script.find("Dialogue: 0:00:00.500,0:00:01.750,"), std::string::npos)
        << c.file << "\n"
        << subs.ass_script;
    EXPECT_NE(subs.ass_script.find("Hello, who is there?\n"), std::string::npos) << c.file;
    EXPECT_NE(subs.ass_script.find("Dialogue: 0:00:02.250,0:00:03.500,"), std::string::npos)
        << c.file;
    EXPECT_NE(subs.ass_script.find("风暴来了"), std::string::npos) << c.file;
  }
  // A bitmap stream (DVD subtitles, as PGS would be) is named, not read.
  const fs::path pictures = scratch("subs-dvd.mkv");
  write_synthetic_video(pictures, {{50, kRed}}, {.subtitles = lines, .subtitle_codec = "dvdsub"});
  const EmbeddedSubtitles bitmap = read_embedded_subtitles(pictures);
  EXPECT_EQ(bitmap.stream_index, -1);
  ASSERT_EQ(bitmap.skipped.size(), 1u);
  EXPECT_EQ(bitmap.skipped[0], "stream 1: dvd_subtitle (bitmap, cannot be read as text)");

  const fs::path plain = scratch("no-subs.mkv");
  write_synthetic_video(plain, {{25, kRed}});
  const EmbeddedSubtitles none = read_embedded_subtitles(plain);
  EXPECT_EQ(none.stream_index, -1);
  EXPECT_EQ(none.events, 0);
}

// Four lines read by espeak-ng with pauses between them: the truth is each sentence's span.
const Narration& dialogue() {
  static const Narration reading =
      narrate({"Where were you last night?", "I waited by the river until the lights went out.",
               "Nobody came, not even the boatman.", "Tomorrow we leave this town for good."},
              {false, false, true, false},
              {.voice = "en",
               .rate_wpm = 160,
               .lead_in_s = 2.0,
               .sentence_gap_s = 1.6,
               .scene_gap_s = 3.0,
               .outro_s = 2.0});
  return reading;
}

double rms_over(const AudioBuffer& mono, double from, double to) {
  const auto a = static_cast<std::size_t>(from * mono.sample_rate);
  const auto b = std::min(mono.samples.size(), static_cast<std::size_t>(to * mono.sample_rate));
  double sum = 0;
  for (std::size_t i = a; i < b; ++i) sum += static_cast<double>(mono.samples[i]) * mono.samples[i];
  return std::sqrt(sum / static_cast<double>(std::max<std::size_t>(1, b - a)));
}

// `speech` with `background` (same rate, mono) under it, the background scaled so that the speech
// is `snr_db` above it (RMS over the spoken spans against the background's RMS).
AudioBuffer under(const Narration& speech, AudioBuffer background, double snr_db) {
  double speech_sum = 0, speech_s = 0;
  for (const SpokenSentence& s : speech.sentences) {
    const double r = rms_over(speech.audio, s.start_s, s.end_s);
    speech_sum += r * r * (s.end_s - s.start_s);
    speech_s += s.end_s - s.start_s;
  }
  const double speech_rms = std::sqrt(speech_sum / speech_s);
  const double background_rms = rms_over(background, 0, background.duration_s());
  const double gain = speech_rms / background_rms / std::pow(10.0, snr_db / 20);
  AudioBuffer mix = speech.audio;
  for (std::size_t i = 0; i < mix.samples.size() && i < background.samples.size(); ++i)
    mix.samples[i] += static_cast<float>(gain * background.samples[i]);
  return mix;
}

// Pink-ish noise (white noise through a one-pole low-pass), the same every run.
AudioBuffer noise_like(const AudioBuffer& like) {
  AudioBuffer noise = like;
  std::mt19937 random(7);
  std::normal_distribution<float> white(0.0f, 1.0f);
  float low = 0;
  for (float& v : noise.samples) v = low = 0.9f * low + 0.1f * white(random);
  return noise;
}

// Music from FluidSynth: a piano playing chords on every beat, a string pad and a flute melody in
// eighth notes, at 100 bpm, as long as `like`, mono at its rate.
AudioBuffer music_like(const AudioBuffer& like) {
  Score score;
  score.tempo = {{0, 100.0}};
  score.meters = {{0, 4, 4}};
  const std::int64_t beat = score.ppq,
                     beats = static_cast<std::int64_t>(like.duration_s() * 100 / 60);
  const auto track = [](const char* name, const char* role, int channel, int program) {
    Track t;
    t.name = name;
    t.role = role;
    t.channel = channel;
    t.program = program;
    return t;
  };
  Track piano = track("Piano", "chords", 0, 0), pad = track("Strings", "pad", 1, 48),
        flute = track("Flute", "melody", 2, 73);
  const int chords[4][3] = {{60, 64, 67}, {57, 60, 64}, {53, 57, 60}, {55, 59, 62}};
  const int tune[8] = {72, 74, 76, 79, 77, 76, 74, 72};
  for (std::int64_t b = 0; b < beats; ++b) {
    const auto& chord = chords[(b / 4) % 4];
    for (int pitch : chord) piano.notes.push_back({b * beat, beat, pitch, 70});
    if (b % 4 == 0)
      for (int pitch : chord) pad.notes.push_back({b * beat, 4 * beat, pitch - 12, 60});
    for (int half = 0; half < 2; ++half)
      flute.notes.push_back({b * beat + half * beat / 2, beat / 2, tune[(2 * b + half) % 8], 80});
  }
  score.tracks = {piano, pad, flute};
  score.end_tick = beats * beat;
  SynthOptions synth;
  synth.soundfont = "/usr/share/sounds/sf2/TimGM6mb.sf2";
  synth.sample_rate = like.sample_rate;
  AudioBuffer stereo = synthesize(score, synth);
  AudioBuffer mono = like;
  for (std::size_t i = 0; i < mono.samples.size(); ++i)
    mono.samples[i] =
        i < stereo.frames() ? 0.5f * (stereo.samples[2 * i] + stereo.samples[2 * i + 1]) : 0.0f;
  return mono;
}

struct Accuracy {
  double frames = 0, precision = 0, recall = 0;
};

// Frame accuracy of the detector against the reading's sentence spans, 10 ms frames.
Accuracy accuracy_of(const VoiceActivity& vad, const Narration& truth) {
  std::size_t agree = 0, detected = 0, spoken = 0, both = 0;
  for (std::size_t i = 0; i < vad.speech.size(); ++i) {
    const double t = static_cast<double>(i) * vad.hop_s;
    const bool is_speech =
        std::any_of(truth.sentences.begin(), truth.sentences.end(),
                    [&](const SpokenSentence& s) { return t >= s.start_s && t < s.end_s; });
    agree += is_speech == vad.speech[i];
    detected += vad.speech[i];
    spoken += is_speech;
    both += is_speech && vad.speech[i];
  }
  return {static_cast<double>(agree) / static_cast<double>(vad.speech.size()),
          static_cast<double>(both) / static_cast<double>(std::max<std::size_t>(1, detected)),
          static_cast<double>(both) / static_cast<double>(std::max<std::size_t>(1, spoken))};
}

// espeak-ng speech alone, under noise and under FluidSynth music 10 and 5 dB down: the
// detector agrees with the spoken spans on most 10 ms frames, finds every sentence, and calls the
// background alone (the lead-in, the gaps) silence.
TEST(VoiceActivity, FindsEspeakSpeechUnderNoiseAndMusic) {
  const Narration& reading = dialogue();
  ASSERT_EQ(reading.sentences.size(), 4u);
  struct Case {
    const char* name;
    AudioBuffer audio;
    double min_accuracy;
  };
  const AudioBuffer noise = noise_like(reading.audio), music = music_like(reading.audio);
  const Case cases[] = {{"clean", reading.audio, 0.9},
                        {"noise -10 dB", under(reading, noise, 10), 0.85},
                        {"music -10 dB", under(reading, music, 10), 0.85},
                        {"noise -5 dB", under(reading, noise, 5), 0.8},
                        {"music -5 dB", under(reading, music, 5), 0.8}};
  for (const Case& c : cases) {
    const VoiceActivity vad = detect_voice_activity(c.audio);
    const Accuracy a = accuracy_of(vad, reading);
    std::printf("voice activity, %s: frame accuracy %.3f, precision %.3f, recall %.3f, %zu spans\n",
                c.name, a.frames, a.precision, a.recall, vad.spans.size());
    EXPECT_GE(a.frames, c.min_accuracy) << c.name;
    for (const SpokenSentence& s : reading.sentences) {
      const double mid = 0.5 * (s.start_s + s.end_s);
      EXPECT_TRUE(
          std::any_of(vad.spans.begin(), vad.spans.end(),
                      [&](const Caption& span) { return mid >= span.start_s && mid < span.end_s; }))
          << c.name << ": no speech found at " << mid << " s";
    }
    // The background alone before the first line is not speech.
    EXPECT_TRUE(vad.spans.empty() ||
                vad.spans.front().start_s > reading.sentences.front().start_s - 0.3)
        << c.name;
  }
  // Noise and music alone: no speech.
  EXPECT_LT(detect_voice_activity(noise).spans.size(), 2u);
  EXPECT_LT(detect_voice_activity(music).spans.size(), 2u);
}

TEST(VoiceActivity, ReadFromASpoolFindsTheSameSpeech) {
  // A film's sound is analysed from its spool, never held whole: the same decisions, frame by
  // frame, as from the buffer.
  const Narration& reading = dialogue();
  const AudioBuffer noisy = under(reading, music_like(reading.audio), 10);
  const fs::path dir = scratch("vad-spool");
  fs::create_directories(dir);
  PcmSpool spool(dir, noisy.sample_rate, noisy.channels);
  spool.append(noisy.samples.data(), noisy.frames());
  const VoiceActivity whole = detect_voice_activity(noisy), spooled = detect_voice_activity(spool);
  EXPECT_EQ(spooled.speech, whole.speech);
  ASSERT_EQ(spooled.spans.size(), whole.spans.size());
  EXPECT_GE(spooled.spans.size(), 4u);
  for (std::size_t i = 0; i < whole.spans.size(); ++i) {
    EXPECT_EQ(spooled.spans[i].start_s, whole.spans[i].start_s);
    EXPECT_EQ(spooled.spans[i].end_s, whole.spans[i].end_s);
  }
}

TEST(Footage, MuxCopiesTheVideoPacketForPacket) {
  const fs::path video = scratch("mux-in.mp4"), audio = scratch("mux-in.m4a");
  // A phone video: its rotation must survive.
  write_synthetic_video(
      video, {{40, kRed, SyntheticLook::pattern}, {35, kGreen}},
      {.width = 320, .height = 180, .fps = 25, .gop = 48, .rotation_degrees = 90});
  ASSERT_NEAR(std::abs(rotation_of(video)), 90.0, 1e-6);
  AudioBuffer tone;
  tone.samples.resize(2 * 44100 * 4);  // 4 s of tone: longer than the 3 s film
  for (std::size_t i = 0; i < tone.frames(); ++i)
    tone.samples[2 * i] = tone.samples[2 * i + 1] =
        static_cast<float>(0.3 * std::sin(2 * M_PI * 440 * static_cast<double>(i) / 44100));
  write_audio(tone, audio, AudioFileFormat::m4a_aac);
  const fs::path out = scratch("muxed.mp4");
  mux_video_with_audio(video, audio, out);
  const std::vector<std::string> in_packets = packets(video, AVMEDIA_TYPE_VIDEO);
  ASSERT_EQ(in_packets.size(), 75u);
  EXPECT_EQ(packets(out, AVMEDIA_TYPE_VIDEO), in_packets);
  EXPECT_DOUBLE_EQ(rotation_of(out), rotation_of(video));
  const AudioBuffer back = read_audio(out);
  EXPECT_NEAR(back.duration_s(), 3.0, 0.05);  // cut to the film
  const FootageAnalysis a = analyze_footage(out);
  EXPECT_TRUE(a.has_audio);
  EXPECT_EQ(a.frames, 75);
  EXPECT_EQ(frames_of(a.cuts, CutKind::hard), std::vector<std::int64_t>{40});

  // A failure leaves nothing behind.
  const fs::path text = scratch("not-audio.m4a");
  std::ofstream(text) << "not audio";
  const fs::path failed = scratch("failed.mp4");
  fs::remove(failed);
  EXPECT_THROW(mux_video_with_audio(video, text, failed), Error);
  EXPECT_FALSE(fs::exists(failed));
}

}  // namespace
}  // namespace tonepoem
