// Stage 6, synthesize and master: a Score into PCM through FluidSynth and a General MIDI
// SoundFont, then loudness-normalised (EBU R128 via libebur128) with a peak ceiling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/cancel.h"
#include "core/progress.h"
#include "model/audio.h"
#include "model/score.h"

namespace tonepoem {

struct LoudnessReport {
  double integrated_lufs = 0;
  double true_peak_dbtp = 0;
  double gain_db = 0;  // gain applied by master()
};

// Streaming: audio too long to hold in memory passes between stages in blocks.
//
// An AudioSink receives a stream of interleaved float frames (the stream's channel count is
// agreed beforehand) in order, `count` frames a call, any block size; the producer never calls it
// again after it throws, and passes the error on.
using AudioSink = std::function<void(const float* frames, std::size_t count)>;

// Read-only PCM with random access, for what reads audio more than once or around a point
// (mastering's passes, the encoders, the video's spectrum). read() is safe to call from several
// threads at once.
class PcmSource {
 public:
  virtual ~PcmSource() = default;
  virtual int sample_rate() const = 0;
  virtual int channels() const = 0;
  virtual std::size_t frames() const = 0;
  double duration_s() const {
    return sample_rate() > 0 ? static_cast<double>(frames()) / sample_rate() : 0.0;
  }
  // Copies frames [first, first + count) into `out` (count * channels() floats); frames outside
  // [0, frames()) read as zeros. Throws Error(output) if the backing file cannot be read.
  virtual void read(std::int64_t first, std::size_t count, float* out) const = 0;
  // The samples as one buffer when the source is one (no copy needed), else null.
  virtual const AudioBuffer* buffer() const { return nullptr; }
};

// An AudioBuffer seen as a PcmSource (no copy; the buffer must outlive the view).
class BufferSource final : public PcmSource {
 public:
  explicit BufferSource(const AudioBuffer& audio) : audio_(audio) {}
  int sample_rate() const override { return audio_.sample_rate; }
  int channels() const override { return audio_.channels; }
  std::size_t frames() const override { return audio_.frames(); }
  void read(std::int64_t first, std::size_t count, float* out) const override;
  const AudioBuffer* buffer() const override { return &audio_; }

 private:
  const AudioBuffer& audio_;
};

// Float PCM spooled to an anonymous temporary file in `dir` (O_TMPFILE; else a file unlinked as
// soon as it is opened): it has no name, so it disappears on every exit, a crash included, and
// never shows among the outputs. Frames are appended, then read back any number of times. Memory
// stays flat (a 64 KiB write buffer); the disk holds 8 bytes a stereo frame (1.27 GB an hour at
// 44.1 kHz). Throws Error(output) naming `dir` when it cannot be created or written (disk full).
class PcmSpool final : public PcmSource {
 public:
  PcmSpool(const std::filesystem::path& dir, int sample_rate, int channels);
  ~PcmSpool() override;
  PcmSpool(const PcmSpool&) = delete;
  PcmSpool& operator=(const PcmSpool&) = delete;

  // Appends frames; not to be called concurrently with read().
  void append(const float* frames, std::size_t count);
  // A sink that appends (the spool must outlive it).
  AudioSink sink();
  // The appended frames as an AudioBuffer (for what still needs one whole, e.g. Opus's
  // resampler): as much memory as the audio.
  AudioBuffer load() const;

  int sample_rate() const override { return sample_rate_; }
  int channels() const override { return channels_; }
  std::size_t frames() const override { return frames_; }
  void read(std::int64_t first, std::size_t count, float* out) const override;

 private:
  void flush() const;
  std::filesystem::path dir_;
  int sample_rate_, channels_;
  int fd_ = -1;
  std::size_t frames_ = 0;
  mutable std::vector<float> pending_;    // appended, not yet written
  mutable std::size_t pending_from_ = 0;  // the frame pending_ starts at
  mutable std::mutex flush_mutex_;        // the first readers flush what is pending
};

// Integrated loudness (libebur128) and, when asked, true peak of a stream, measured on a thread of
// its own while the caller makes the next block (add() copies it; at most a few blocks wait).
// The results are those of measure_loudness() / integrated_loudness() on the whole stream.
class LoudnessMeter {
 public:
  LoudnessMeter(int channels, int sample_rate, bool true_peak);
  ~LoudnessMeter();
  LoudnessMeter(const LoudnessMeter&) = delete;
  LoudnessMeter& operator=(const LoudnessMeter&) = delete;
  void add(const float* frames, std::size_t count);
  // After the last add(): the measurement (true_peak_dbtp -inf unless asked; gain_db 0). Rethrows
  // what the measuring thread threw.
  LoudnessReport finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The SoundFont to use: `requested` if non-empty (must exist and be a readable SF2), else the first
// installed General MIDI SoundFont among Debian's paths (fluid-soundfont-gm's FluidR3_GM.sf2, then
// timgm6mb's TimGM6mb.sf2, then /usr/share/sounds/sf2/default-GM.sf2).
// Throws Error(missing_resource) naming the file (or the paths searched) and the package to
// install.
std::filesystem::path find_soundfont(const std::filesystem::path& requested);

// For long-lived processes that render one job after another (`tonepoem serve`, `tonepoem
// worker`): from this call on, every SoundFont a render loads stays loaded until the process
// ends, so that later renders load its presets alone (FluidSynth shares a file's samples between
// synthesizers only while one holds them: FluidR3_GM took 1.1 s to load for each 5 s piece). A
// process that renders once (the CLI, the benches) does not call it. Thread-safe.
void keep_soundfonts_loaded();

// Effect sends from `start_s` on (CC91 reverb, CC93 chorus on every channel), 0..1.
struct SectionFx {
  double start_s = 0;
  double reverb_send = 0.3;
  double chorus_send = 0.1;
};

struct SynthOptions {
  std::filesystem::path soundfont;  // resolved path (find_soundfont)
  int sample_rate = 44100;
  double tail_s = 1.0;  // rendered past the score's end so the last notes decay
  bool reverb = true, chorus = true;
  double reverb_room_size = 0.2;  // FluidSynth's reverb, 0..1 (its defaults)
  double reverb_level = 0.9;      // 0..1
  // Voices in all, split evenly between the parts (a stem gets them all). Beyond it FluidSynth
  // steals the quietest released voices: on a dense score 128 voices render within -58 dB of an
  // uncapped synthesizer (bench/render_bench) at about 60% of its CPU time, as most voices of a
  // dense score are inaudible release tails (harp, piano).
  int polyphony = 128;
  double gain = 0.2;                  // FluidSynth master gain (mastering sets the final level)
  std::vector<SectionFx> section_fx;  // empty: the SoundFont's default sends
  double fx_ramp_s = 1.0;             // sends glide to a new section's values over this time
  // The notes are split into `parts` groups of similar cost (by track and key, costs measured on
  // the SoundFont), each rendered by its own synthesizer (on up to `threads` threads, 0 = all
  // cores) and summed. The output depends on `parts`, never on `threads` or the machine;
  // parts = 1 renders exactly what one FluidSynth would.
  int parts = 2;
  int threads = 0;

  // Every problem with these options, one line each naming the field and the accepted range
  // (empty: valid). synthesize() throws Error(usage) listing them.
  std::vector<std::string> validate() const;
};

// Emotion-dependent effect sends, one per Score section, from the section's target emotion:
// reverb send = 0.35 - 0.2 arousal - 0.1 valence (0.05..0.8), chorus send = 0.1 + 0.1 calm.
// Calm and sad sections are wetter, aroused ones (angry, joyful) drier.
std::vector<SectionFx> section_fx_for(const Score& score);

// Renders the score offline (events in time order, fluid_synth_write_float between them).
// Each track gets its own MIDI channel (its declared one when free), with program, pan (CC10) and
// volume (CC7 = 127 * sqrt(gain)); channel-9 tracks are General MIDI drums.
// Output: stereo float, duration = score.duration_s() + tail_s. Throws Error(missing_resource)
// if the SoundFont cannot be loaded, Error(interrupted) soon after `cancel` is cancelled.
AudioBuffer synthesize(const Score& score, const SynthOptions& options,
                       const ProgressFn& progress = {},
                       const CancelToken& cancel = CancelToken::never());

// synthesize() as a stream: the same samples, handed to `sink` a slice of about 3 s at a time
// (every part renders the slice on its own thread, the slices are summed in part order), so memory
// does not grow with the length. Returns the number of frames delivered. Errors as synthesize(),
// and whatever `sink` throws.
std::size_t synthesize_to(const Score& score, const SynthOptions& options, const AudioSink& sink,
                          const ProgressFn& progress = {},
                          const CancelToken& cancel = CancelToken::never());

// One instrument group rendered alone (same length and effects as synthesize()'s output; the
// stems of a score sum to synthesize()'s mix up to voice stealing and float rounding).
struct Stem {
  std::string name;  // the tracks' role ("melody", "drums", ...), or the track name without one,
                     // made file-name safe
  AudioBuffer audio;
};
// The group name synthesize_stems() gives a track.
std::string stem_name(const Track& track);
// Renders each group of tracks sharing a stem_name separately (in parallel, `options.threads`),
// in order of first appearance. An empty score gives no stems.
std::vector<Stem> synthesize_stems(const Score& score, const SynthOptions& options,
                                   const ProgressFn& progress = {},
                                   const CancelToken& cancel = CancelToken::never());

LoudnessReport measure_loudness(const AudioBuffer& audio);
// Integrated loudness alone (LUFS; -inf for silence), without the slower true-peak scan.
double integrated_loudness(const AudioBuffer& audio);
// The same read from a source a block at a time (Error(interrupted) once `cancel` is cancelled).
double integrated_loudness(const PcmSource& audio,
                           const CancelToken& cancel = CancelToken::never());

struct MasterOptions {
  double target_lufs = -14.0;
  double true_peak_ceiling_dbtp = -1.0;
  double fade_in_s = 0.01, fade_out_s = 0.5;
  double limiter_margin_db = 0.3;  // the limiter aims this far under the ceiling
  double lookahead_s = 0.005;      // limiter look-ahead (also its attack)
  double release_s = 0.08;         // limiter release time constant
  double tolerance_lu = 0.1;       // loudness error accepted before another gain pass

  // Every problem with these options (empty: valid). master() throws Error(usage) listing them.
  std::vector<std::string> validate() const;
};
// Gain to the target loudness, a limiter that keeps true peak at or below the ceiling, and short
// fades. Returns the measurement after mastering (gain_db = gain applied).
// Error(interrupted) once `cancel` is cancelled (checked between passes).
LoudnessReport master(AudioBuffer& audio, const MasterOptions& options,
                      const CancelToken& cancel = CancelToken::never());

// master() for audio too long to hold: every attempt is a pass reading `input` again (a spool
// file), and the accepted one is handed to `out` block by block (the limiter's look-ahead carried
// across blocks). `input_lufs`: the input's integrated loudness if already measured (a
// LoudnessMeter while it was made), NaN to measure it here. The frames given to `out` are those
// master() leaves in a buffer holding the same input, bit for bit (master() is this function
// writing in place). Error(internal) for NaN or infinite samples, Error(interrupted) as master().
LoudnessReport master_stream(const PcmSource& input, const AudioSink& out,
                             const MasterOptions& options, const CancelToken& cancel,
                             double input_lufs);

enum class SampleFormat { pcm16, pcm24, float32 };
// WAV through libsndfile (16-bit PCM by default, clipped, not wrapped), written atomically: a
// failure leaves no file under `path`. Throws Error(output) naming the file.
void write_wav(const AudioBuffer& audio, const std::filesystem::path& path,
               SampleFormat format = SampleFormat::pcm16,
               const CancelToken& cancel = CancelToken::never());
// Output formats: libsndfile writes WAV, FLAC, Vorbis and MP3; FFmpeg's libraries write M4A (AAC)
// and Ogg Opus (48 kHz).
enum class AudioFileFormat {
  wav16,
  wav24,
  wav_float,
  flac16,
  flac24,
  ogg_vorbis,
  mp3,
  m4a_aac,
  opus
};
// "wav16", "wav24", "wav-float", "flac16", "flac24", "ogg", "mp3", "m4a", "opus" (for --format
// and reports).
std::string_view audio_format_name(AudioFileFormat format);
// The file extension for the format, with the dot: ".wav", ".flac", ".ogg", ".mp3", ".m4a",
// ".opus".
std::string_view audio_format_extension(AudioFileFormat format);
// A --format value: the names above, or "wav", "flac", "vorbis", "aac". nullopt if unknown.
std::optional<AudioFileFormat> parse_audio_format(std::string_view name);
// The format a file name asks for by its extension (.wav, .flac, .ogg/.oga, .mp3, .m4a/.aac/.mp4,
// .opus; any case).
std::optional<AudioFileFormat> audio_format_for(const std::filesystem::path& path);

struct AudioTags {
  std::string title, artist;
  std::string comment;  // e.g. "seed 42"
};
// Writes `audio` in `format`, atomically, with the tags (where the format holds them). Throws
// Error(output) naming the file, or Error(usage) if this libsndfile cannot write the format.
// Error(interrupted), leaving no file, once `cancel` is cancelled.
void write_audio(const AudioBuffer& audio, const std::filesystem::path& path,
                 AudioFileFormat format, const AudioTags& tags = {},
                 const CancelToken& cancel = CancelToken::never());

// write_audio() from a PcmSource, read a block at a time (Opus, which is resampled to 48 kHz,
// reads it whole). The same bytes as write_audio() of a buffer holding the same samples.
void write_audio(const PcmSource& audio, const std::filesystem::path& path, AudioFileFormat format,
                 const AudioTags& tags = {}, const CancelToken& cancel = CancelToken::never());

// Reads any file libsndfile knows, else any FFmpeg decodes (M4A, Opus), into float samples.
// Throws Error(bad_input).
AudioBuffer read_audio(const std::filesystem::path& path);

// The same audio as read_audio(path) as a PcmSource that reads a WAV file a block at a time
// (memory stays flat whatever the length; reads are serialised on one handle); other formats,
// whose length is only known once decoded, are read whole by read_audio() and held. The same
// samples as read_audio(). Errors as read_audio() on opening; read() throws Error(output) naming
// the file if it can no longer be read.
std::unique_ptr<PcmSource> open_audio(const std::filesystem::path& path);

// Level (overall RMS), dynamics (spread of 46 ms frame levels), spectral centroid, zero-crossing
// rate and onset rate (spectral-flux peaks) of the audio, for judge_audio_features (judge.h).
AudioFeatures extract_audio_features(const AudioBuffer& audio);
// The same of frames [first_frame, first_frame + count) of a source (clamped to it), read an
// analysis frame at a time: memory does not grow with the length.
AudioFeatures extract_audio_features(const PcmSource& audio, std::size_t first_frame,
                                     std::size_t count);
struct TimedAudioFeatures {
  double start_s = 0, end_s = 0;
  AudioFeatures features;
};
// The audio in [start_s, end_s) (clamped to the buffer), same rate and channels.
AudioBuffer audio_slice(const AudioBuffer& audio, double start_s, double end_s);
// The same over windows of `window_s` every `hop_s` seconds (the last window ends at the end).
// Throws Error(usage) if either is not positive.
std::vector<TimedAudioFeatures> audio_feature_windows(const AudioBuffer& audio, double window_s,
                                                      double hop_s);

// Converts to `sample_rate` (Lanczos-windowed sinc, 8 lobes, anti-aliased when going down).
AudioBuffer resample(const AudioBuffer& audio, int sample_rate);
// The same conversion of a source read a block at a time, handed to `sink` a block at a time (the
// same samples as resample() of the source as one buffer). Returns the frames delivered.
// Error(interrupted) once `cancel` is cancelled.
std::size_t resample_to(const PcmSource& audio, int sample_rate, const AudioSink& sink,
                        const CancelToken& cancel = CancelToken::never());

// Music under narration: the music's gain drops by `depth_db` while the speech is above
// `threshold_db` (20 ms RMS windows, held `hold_s`), reaching the depth as the speech starts
// (look-ahead = attack) and coming back over `release_s` between sentences.
struct DuckOptions {
  double depth_db = 10.0;
  double threshold_db = -45.0;
  double attack_s = 0.08, hold_s = 0.25, release_s = 0.4;
  double speech_gain_db = 0.0;
};
// Per-frame linear gain for the music, at the speech's sample rate.
std::vector<float> ducking_gain(const AudioBuffer& speech, const DuckOptions& options);
// The music bus of mix_with_narration(): the music alone, ducked under `speech` (resampled to
// the music's rate), as long as the longer of the two.
AudioBuffer duck_music(const AudioBuffer& music, const AudioBuffer& speech,
                       const DuckOptions& options = {});
// Music with the speech mixed in (mono speech goes to every channel; resampled to the music's
// rate), ducked as above. As long as the longer of the two.
AudioBuffer mix_with_narration(const AudioBuffer& music, const AudioBuffer& speech,
                               const DuckOptions& options = {});

// mix_with_narration() computed a block at a time as it is read: the music is read from
// `music` (a spool), the speech (resampled to the music's rate) and its ducking gain are held in
// memory (8 bytes a frame of speech at the music's rate). The same samples as
// mix_with_narration() of the music as a buffer. `music` must outlive this.
class NarrationMix final : public PcmSource {
 public:
  NarrationMix(const PcmSource& music, const AudioBuffer& speech, const DuckOptions& options);
  int sample_rate() const override { return music_.sample_rate(); }
  int channels() const override { return music_.channels(); }
  std::size_t frames() const override { return frames_; }
  void read(std::int64_t first, std::size_t count, float* out) const override;

 private:
  const PcmSource& music_;
  AudioBuffer voice_;        // the speech at the music's rate
  std::vector<float> gain_;  // ducking gain per frame of voice_
  float speech_gain_ = 1.0f;
  std::size_t frames_ = 0;
};

void to_json(nlohmann::json& j, const LoudnessReport& r);

}  // namespace tonepoem
