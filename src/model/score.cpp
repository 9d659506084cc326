#include "model/score.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/json_fields.h"

namespace tonepoem {

std::string_view mode_name(Mode mode) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "lydian", "ionian", "mixolydian", "dorian", "aeolian", "phrygian", "locrian"};
  return kNames[static_cast<std::size_t>(mode)];
}

bool is_minor_mode(Mode mode) {
  return mode >= Mode::dorian;
}

const std::array<int, 7>& mode_intervals(Mode mode) {
  static constexpr std::array<std::array<int, 7>, 7> kIntervals = {{
      {0, 2, 4, 6, 7, 9, 11},  // lydian
      {0, 2, 4, 5, 7, 9, 11},  // ionian
      {0, 2, 4, 5, 7, 9, 10},  // mixolydian
      {0, 2, 3, 5, 7, 9, 10},  // dorian
      {0, 2, 3, 5, 7, 8, 10},  // aeolian
      {0, 1, 3, 5, 7, 8, 10},  // phrygian
      {0, 1, 3, 5, 6, 8, 10},  // locrian
  }};
  return kIntervals[static_cast<std::size_t>(mode)];
}

int key_fifths(int tonic, Mode mode) {
  // Semitones from the parent major scale's tonic up to this mode's tonic.
  static constexpr std::array<int, 7> kOffset = {5, 0, 7, 2, 9, 4, 11};
  static constexpr std::array<int, 12> kMajorFifths = {0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5};
  const int parent = (((tonic - kOffset[static_cast<std::size_t>(mode)]) % 12) + 12) % 12;
  return kMajorFifths[static_cast<std::size_t>(parent)];
}

std::string_view pitch_class_name(int pitch_class) {
  static constexpr std::array<std::string_view, 12> kNames = {"C",  "C#", "D",  "Eb", "E",  "F",
                                                              "F#", "G",  "Ab", "A",  "Bb", "B"};
  return kNames[static_cast<std::size_t>(((pitch_class % 12) + 12) % 12)];
}

double Score::seconds_at(std::int64_t tick) const {
  double seconds = 0;
  std::int64_t last_tick = 0;
  double bpm = tempo.empty() ? 120.0 : tempo.front().bpm;
  for (const auto& t : tempo) {
    if (t.tick >= tick) break;
    seconds += static_cast<double>(t.tick - last_tick) * 60.0 / (bpm * ppq);
    last_tick = t.tick;
    bpm = t.bpm;
  }
  return seconds + static_cast<double>(tick - last_tick) * 60.0 / (bpm * ppq);
}

std::int64_t Score::tick_at(double seconds) const {
  double elapsed = 0;
  std::int64_t last_tick = 0;
  double bpm = tempo.empty() ? 120.0 : tempo.front().bpm;
  for (const auto& t : tempo) {
    const double segment = static_cast<double>(t.tick - last_tick) * 60.0 / (bpm * ppq);
    if (elapsed + segment > seconds) break;
    elapsed += segment;
    last_tick = t.tick;
    bpm = t.bpm;
  }
  return last_tick +
         static_cast<std::int64_t>(std::llround((seconds - elapsed) * bpm * ppq / 60.0));
}

namespace {
// Calls visit(tick, is_downbeat) for every beat from 0 to end_tick through the meter map.
template <typename Visit>
void for_each_beat(const Score& score, Visit visit) {
  std::int64_t tick = 0;
  std::size_t meter_index = 0;
  int beat_in_bar = 0;
  while (tick < score.end_tick) {
    while (meter_index + 1 < score.meters.size() && score.meters[meter_index + 1].tick <= tick) {
      ++meter_index;
      beat_in_bar = 0;
    }
    const MeterEvent meter = score.meters.empty() ? MeterEvent{} : score.meters[meter_index];
    const std::int64_t beat_ticks = score.ppq * 4 / std::max(1, meter.denominator);
    visit(tick, beat_in_bar == 0);
    beat_in_bar = (beat_in_bar + 1) % std::max(1, meter.numerator);
    tick += std::max<std::int64_t>(1, beat_ticks);
  }
}
}  // namespace

std::vector<double> Score::beat_times() const {
  std::vector<double> out;
  for_each_beat(*this, [&](std::int64_t tick, bool) { out.push_back(seconds_at(tick)); });
  return out;
}

std::vector<double> Score::downbeat_times() const {
  std::vector<double> out;
  for_each_beat(*this, [&](std::int64_t tick, bool downbeat) {
    if (downbeat) out.push_back(seconds_at(tick));
  });
  return out;
}

std::string_view gm_program_name(int program) {
  static constexpr std::array<std::string_view, 128> kNames = {"Acoustic Grand Piano",
                                                               "Bright Acoustic Piano",
                                                               "Electric Grand Piano",
                                                               "Honky-tonk Piano",
                                                               "Electric Piano 1",
                                                               "Electric Piano 2",
                                                               "Harpsichord",
                                                               "Clavinet",
                                                               "Celesta",
                                                               "Glockenspiel",
                                                               "Music Box",
                                                               "Vibraphone",
                                                               "Marimba",
                                                               "Xylophone",
                                                               "Tubular Bells",
                                                               "Dulcimer",
                                                               "Drawbar Organ",
                                                               "Percussive Organ",
                                                               "Rock Organ",
                                                               "Church Organ",
                                                               "Reed Organ",
                                                               "Accordion",
                                                               "Harmonica",
                                                               "Tango Accordion",
                                                               "Acoustic Guitar (nylon)",
                                                               "Acoustic Guitar (steel)",
                                                               "Electric Guitar (jazz)",
                                                               "Electric Guitar (clean)",
                                                               "Electric Guitar (muted)",
                                                               "Overdriven Guitar",
                                                               "Distortion Guitar",
                                                               "Guitar Harmonics",
                                                               "Acoustic Bass",
                                                               "Electric Bass (finger)",
                                                               "Electric Bass (pick)",
                                                               "Fretless Bass",
                                                               "Slap Bass 1",
                                                               "Slap Bass 2",
                                                               "Synth Bass 1",
                                                               "Synth Bass 2",
                                                               "Violin",
                                                               "Viola",
                                                               "Cello",
                                                               "Contrabass",
                                                               "Tremolo Strings",
                                                               "Pizzicato Strings",
                                                               "Orchestral Harp",
                                                               "Timpani",
                                                               "String Ensemble 1",
                                                               "String Ensemble 2",
                                                               "Synth Strings 1",
                                                               "Synth Strings 2",
                                                               "Choir Aahs",
                                                               "Voice Oohs",
                                                               "Synth Voice",
                                                               "Orchestra Hit",
                                                               "Trumpet",
                                                               "Trombone",
                                                               "Tuba",
                                                               "Muted Trumpet",
                                                               "French Horn",
                                                               "Brass Section",
                                                               "Synth Brass 1",
                                                               "Synth Brass 2",
                                                               "Soprano Sax",
                                                               "Alto Sax",
                                                               "Tenor Sax",
                                                               "Baritone Sax",
                                                               "Oboe",
                                                               "English Horn",
                                                               "Bassoon",
                                                               "Clarinet",
                                                               "Piccolo",
                                                               "Flute",
                                                               "Recorder",
                                                               "Pan Flute",
                                                               "Blown Bottle",
                                                               "Shakuhachi",
                                                               "Whistle",
                                                               "Ocarina",
                                                               "Lead 1 (square)",
                                                               "Lead 2 (sawtooth)",
                                                               "Lead 3 (calliope)",
                                                               "Lead 4 (chiff)",
                                                               "Lead 5 (charang)",
                                                               "Lead 6 (voice)",
                                                               "Lead 7 (fifths)",
                                                               "Lead 8 (bass + lead)",
                                                               "Pad 1 (new age)",
                                                               "Pad 2 (warm)",
                                                               "Pad 3 (polysynth)",
                                                               "Pad 4 (choir)",
                                                               "Pad 5 (bowed)",
                                                               "Pad 6 (metallic)",
                                                               "Pad 7 (halo)",
                                                               "Pad 8 (sweep)",
                                                               "FX 1 (rain)",
                                                               "FX 2 (soundtrack)",
                                                               "FX 3 (crystal)",
                                                               "FX 4 (atmosphere)",
                                                               "FX 5 (brightness)",
                                                               "FX 6 (goblins)",
                                                               "FX 7 (echoes)",
                                                               "FX 8 (sci-fi)",
                                                               "Sitar",
                                                               "Banjo",
                                                               "Shamisen",
                                                               "Koto",
                                                               "Kalimba",
                                                               "Bagpipe",
                                                               "Fiddle",
                                                               "Shanai",
                                                               "Tinkle Bell",
                                                               "Agogo",
                                                               "Steel Drums",
                                                               "Woodblock",
                                                               "Taiko Drum",
                                                               "Melodic Tom",
                                                               "Synth Drum",
                                                               "Reverse Cymbal",
                                                               "Guitar Fret Noise",
                                                               "Breath Noise",
                                                               "Seashore",
                                                               "Bird Tweet",
                                                               "Telephone Ring",
                                                               "Helicopter",
                                                               "Applause",
                                                               "Gunshot"};
  return kNames[static_cast<std::size_t>(std::clamp(program, 0, 127))];
}

namespace {
Mode mode_from_name(std::string_view name) {
  for (int m = 0; m < 7; ++m)
    if (mode_name(static_cast<Mode>(m)) == name) return static_cast<Mode>(m);
  return Mode::ionian;
}
}  // namespace

void to_json(nlohmann::json& j, const ScoreSection& s) {
  j = nlohmann::json{
      {"name", s.name},
      {"start_s", s.start_s},
      {"end_s", s.end_s},
      {"start_tick", s.start_tick},
      {"end_tick", s.end_tick},
      {"key", std::string(pitch_class_name(s.tonic)) + " " + std::string(mode_name(s.mode))},
      {"tonic", std::string(pitch_class_name(s.tonic))},
      {"mode", mode_name(s.mode)},
      {"minor", is_minor_mode(s.mode)},
      {"tempo_bpm", s.tempo_bpm},
      {"beats_per_bar", s.beats_per_bar},
      {"instruments", s.instruments},
      {"target", s.target}};
}

void from_json(const nlohmann::json& j, ScoreSection& s) {
  s = ScoreSection{};
  s.name = j.value("name", "");
  s.start_s = j.value("start_s", 0.0);
  s.end_s = j.value("end_s", 0.0);
  s.start_tick = model_json::whole_number(j, "start_tick", std::int64_t{0}, "score JSON");
  s.end_tick = model_json::whole_number(j, "end_tick", std::int64_t{0}, "score JSON");
  const std::string tonic = j.value("tonic", "C");
  for (int pc = 0; pc < 12; ++pc)
    if (pitch_class_name(pc) == tonic) s.tonic = pc;
  s.mode = mode_from_name(j.value("mode", "ionian"));
  s.tempo_bpm = j.value("tempo_bpm", 120.0);
  s.beats_per_bar = model_json::whole_number(j, "beats_per_bar", 4, "score JSON");
  s.instruments = j.value("instruments", std::vector<std::string>{});
  if (j.contains("target")) s.target = j.at("target").get<Emotion>();
}

std::string score_event_list(const Score& score) {
  std::string out =
      fmt::format("score \"{}\" ppq {} end_tick {}\n", score.title, score.ppq, score.end_tick);
  for (const TempoEvent& t : score.tempo) out += fmt::format("tempo {} {:.3f}\n", t.tick, t.bpm);
  for (const KeyEvent& k : score.keys)
    out += fmt::format("key {} {} {}\n", k.tick, pitch_class_name(k.tonic), mode_name(k.mode));
  for (const MeterEvent& m : score.meters)
    out += fmt::format("meter {} {}/{}\n", m.tick, m.numerator, m.denominator);
  for (const Marker& m : score.markers) out += fmt::format("marker {} \"{}\"\n", m.tick, m.text);
  for (const Marker& m : score.hits) out += fmt::format("hit {} \"{}\"\n", m.tick, m.text);
  for (const ScoreSection& s : score.sections) {
    out += fmt::format(
        "section \"{}\" ticks {}-{} s {:.3f}-{:.3f} {} {} {:.3f} bpm {}/4 target v={:.3f} "
        "a={:.3f} t={:.3f} instruments",
        s.name, s.start_tick, s.end_tick, s.start_s, s.end_s, pitch_class_name(s.tonic),
        mode_name(s.mode), s.tempo_bpm, s.beats_per_bar, s.target.valence, s.target.arousal,
        s.target.tension);
    for (const std::string& name : s.instruments) out += " \"" + name + "\"";
    out += "\n";
  }
  for (const ChordEvent& c : score.chords) {
    out += fmt::format("chord {} {} {} {}", c.tick, c.duration, c.roman, pitch_class_name(c.root));
    for (int pc : c.pitch_classes) out += fmt::format(" {}", pc);
    if (!c.cadence.empty()) out += " cadence " + c.cadence;
    out += "\n";
  }
  for (const Track& t : score.tracks) {
    out += fmt::format("track \"{}\" role {} channel {} program {} pan {:.3f} gain {:.3f}\n",
                       t.name, t.role, t.channel, t.program, t.pan, t.gain);
    for (const auto& [tick, program] : t.program_changes)
      out += fmt::format("  program {} {}\n", tick, program);
    for (const Note& n : t.notes)
      out += fmt::format("  note {} {} {} {}\n", n.tick, n.duration, n.pitch, n.velocity);
    for (const Lyric& l : t.lyrics) out += fmt::format("  lyric {} \"{}\"\n", l.tick, l.text);
  }
  return out;
}

}  // namespace tonepoem
