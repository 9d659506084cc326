#include "music/musicxml.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string_view>
#include <vector>

#include "core/files.h"
#include "core/markup.h"

namespace tonepoem {

namespace {

constexpr int kDiv = 4;  // divisions per quarter note: a sixteenth-note grid

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

struct Bar {
  std::int64_t tick = 0, end_tick = 0;  // in MIDI ticks
  std::int64_t start = 0, len = 0;      // in divisions
  int beats = 4, beat_type = 4;
};

std::vector<Bar> bars_of(const Score& s, std::int64_t end_tick) {
  std::vector<Bar> out;
  std::int64_t tick = 0;
  std::size_t m = 0;
  const int ppq = std::max(1, s.ppq);
  do {
    while (m + 1 < s.meters.size() && s.meters[m + 1].tick <= tick) ++m;
    const MeterEvent meter = s.meters.empty() ? MeterEvent{} : s.meters[m];
    Bar b;
    b.beats = std::clamp(meter.numerator, 1, 64);
    b.beat_type = std::clamp(meter.denominator, 1, 64);
    b.tick = tick;
    b.end_tick = tick + std::max<std::int64_t>(
                            1, static_cast<std::int64_t>(b.beats) * ppq * 4 / b.beat_type);
    b.len = std::max<std::int64_t>(1, static_cast<std::int64_t>(b.beats) * kDiv * 4 / b.beat_type);
    b.start = out.empty() ? 0 : out.back().start + out.back().len;
    out.push_back(b);
    tick = b.end_tick;
  } while (tick < end_tick);
  return out;
}

// A chord (or single note) in divisions, one track's notation line.
struct Event {
  std::int64_t start = 0, end = 0;
  std::vector<int> pitches;
  const Lyric* lyric = nullptr;  // the syllable sung on it (a vocal track's)
};

// Converts ticks to divisions through the bar list, so each bar holds exactly its length.
class Grid {
 public:
  Grid(const std::vector<Bar>& bars) : bars_(bars) {}
  std::int64_t at(std::int64_t tick) const {
    auto it = std::upper_bound(bars_.begin(), bars_.end(), tick,
                               [](std::int64_t t, const Bar& b) { return t < b.tick; });
    if (it != bars_.begin()) --it;
    const Bar& b = *it;
    const double frac =
        static_cast<double>(tick - b.tick) / static_cast<double>(b.end_tick - b.tick);
    return b.start + std::llround(frac * static_cast<double>(b.len));
  }

 private:
  const std::vector<Bar>& bars_;
};

std::vector<Event> events_of(const Track& t, const Grid& grid) {
  std::map<std::int64_t, Event> groups;
  std::map<std::int64_t, const Lyric*> lyric_at;
  for (const Lyric& l : t.lyrics) lyric_at.emplace(l.tick, &l);
  for (const Note& n : t.notes) {
    const std::int64_t start = grid.at(n.tick);
    const std::int64_t end =
        std::max(start + 1, grid.at(n.tick + std::max<std::int64_t>(1, n.duration)));
    Event& e = groups[start];
    e.start = start;
    if (const auto l = lyric_at.find(n.tick); l != lyric_at.end() && !e.lyric) e.lyric = l->second;
    e.end = std::max(e.end, end);
    if (std::find(e.pitches.begin(), e.pitches.end(), n.pitch) == e.pitches.end())
      e.pitches.push_back(n.pitch);
  }
  std::vector<Event> out;
  for (auto& [start, e] : groups) {
    std::sort(e.pitches.begin(), e.pitches.end());
    if (!out.empty()) out.back().end = std::min(out.back().end, start);
    out.push_back(e);
  }
  return out;
}

struct Value {
  int div;
  const char* type;
  bool dot;
};
constexpr std::array<Value, 8> kValues = {{{16, "whole", false},
                                           {12, "half", true},
                                           {8, "half", false},
                                           {6, "quarter", true},
                                           {4, "quarter", false},
                                           {3, "eighth", true},
                                           {2, "eighth", false},
                                           {1, "16th", false}}};

std::vector<Value> split(std::int64_t len) {
  std::vector<Value> out;
  while (len > 0) {
    for (const Value& v : kValues) {
      if (v.div <= len) {
        out.push_back(v);
        len -= v.div;
        break;
      }
    }
  }
  return out;
}

void pitch_xml(std::string& out, int pitch, bool flats) {
  static constexpr std::array<std::pair<char, int>, 12> kSharps = {{{'C', 0},
                                                                    {'C', 1},
                                                                    {'D', 0},
                                                                    {'D', 1},
                                                                    {'E', 0},
                                                                    {'F', 0},
                                                                    {'F', 1},
                                                                    {'G', 0},
                                                                    {'G', 1},
                                                                    {'A', 0},
                                                                    {'A', 1},
                                                                    {'B', 0}}};
  static constexpr std::array<std::pair<char, int>, 12> kFlats = {{{'C', 0},
                                                                   {'D', -1},
                                                                   {'D', 0},
                                                                   {'E', -1},
                                                                   {'E', 0},
                                                                   {'F', 0},
                                                                   {'G', -1},
                                                                   {'G', 0},
                                                                   {'A', -1},
                                                                   {'A', 0},
                                                                   {'B', -1},
                                                                   {'B', 0}}};
  const auto [step, alter] = (flats ? kFlats : kSharps)[static_cast<std::size_t>(pitch % 12)];
  out += "<pitch><step>";
  out.push_back(step);
  out += "</step>";
  if (alter != 0) out += "<alter>" + std::to_string(alter) + "</alter>";
  out += "<octave>" + std::to_string(pitch / 12 - 1) + "</octave></pitch>";
}

// Where General MIDI drums sit on a percussion staff.
void unpitched_xml(std::string& out, int pitch) {
  const char* step = "C";
  int octave = 5;
  switch (pitch) {
    case 35:
    case 36:
      step = "F";
      octave = 4;
      break;  // kick
    case 41:
    case 43:
      step = "A";
      octave = 4;
      break;  // floor tom
    case 45:
    case 47:
      step = "D";
      octave = 5;
      break;  // low/mid tom
    case 48:
    case 50:
      step = "E";
      octave = 5;
      break;  // high tom
    case 42:
    case 44:
    case 46:
      step = "G";
      octave = 5;
      break;  // hi-hat
    case 49:
    case 51:
    case 52:
    case 55:
    case 57:
    case 59:
      step = "A";
      octave = 5;
      break;
    default:
      break;  // snare and the rest on C5
  }
  out += "<unpitched><display-step>";
  out += step;
  out +=
      "</display-step><display-octave>" + std::to_string(octave) + "</display-octave></unpitched>";
}

std::string_view syllabic_name(Syllabic s) {
  switch (s) {
    case Syllabic::begin:
      return "begin";
    case Syllabic::middle:
      return "middle";
    case Syllabic::end:
      return "end";
    case Syllabic::single:
      break;
  }
  return "single";
}

// `lyric` (optional): the syllable under the note (written on its first, untied part).
void note_xml(std::string& out, const Value& v, const std::vector<int>* pitches, bool drums,
              bool flats, bool tie_stop, bool tie_start, const Lyric* lyric = nullptr) {
  if (!pitches) {
    out += "<note><rest/><duration>" + std::to_string(v.div) + "</duration><voice>1</voice><type>" +
           v.type + "</type>" + (v.dot ? "<dot/>" : "") + "</note>";
    return;
  }
  for (std::size_t i = 0; i < pitches->size(); ++i) {
    out += "<note>";
    if (i > 0) out += "<chord/>";
    if (drums) {
      unpitched_xml(out, (*pitches)[i]);
    } else {
      pitch_xml(out, (*pitches)[i], flats);
    }
    out += "<duration>" + std::to_string(v.div) + "</duration>";
    if (tie_stop) out += "<tie type=\"stop\"/>";
    if (tie_start) out += "<tie type=\"start\"/>";
    out += "<voice>1</voice><type>";
    out += v.type;
    out += "</type>";
    if (v.dot) out += "<dot/>";
    if (drums)
      out += (*pitches)[i] == 42 || (*pitches)[i] == 44 || (*pitches)[i] == 46
                 ? "<notehead>x</notehead>"
                 : "";
    if (tie_stop || tie_start) {
      out += "<notations>";
      if (tie_stop) out += "<tied type=\"stop\"/>";
      if (tie_start) out += "<tied type=\"start\"/>";
      out += "</notations>";
    }
    if (lyric && i == 0) {
      const std::size_t first = lyric->text.find_first_not_of(' ');
      out += "<lyric number=\"1\"><syllabic>";
      out += syllabic_name(lyric->syllabic);
      out += "</syllabic><text>" +
             escape_markup(first == std::string::npos ? std::string() : lyric->text.substr(first)) +
             "</text></lyric>";
    }
    out += "</note>";
  }
}

// MusicXML knows every church mode, but notation programs (MuseScore 3 among them) read only
// major and minor; the exact mode is written as a text mark beside the key signature instead.
std::string_view xml_mode(Mode m) {
  return is_minor_mode(m) ? "minor" : "major";
}

template <typename T>
const T* in_force(const std::vector<T>& map, std::int64_t tick) {
  const T* found = map.empty() ? nullptr : &map.front();
  for (const T& e : map)
    if (e.tick <= tick) found = &e;
  return found;
}

}  // namespace

std::string write_musicxml(const Score& score) {
  std::int64_t end = std::max<std::int64_t>(score.end_tick, 1);
  for (const Track& t : score.tracks)
    for (const Note& n : t.notes)
      end = std::max(end, n.tick + std::max<std::int64_t>(1, n.duration));
  // A note ringing past the last barline does not add a measure of its own.
  if (score.end_tick > 0) end = score.end_tick;
  const std::vector<Bar> bars = bars_of(score, end);
  const Grid grid(bars);

  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n";
  out +=
      "<!DOCTYPE score-partwise PUBLIC \"-//Recordare//DTD MusicXML 4.0 Partwise//EN\" "
      "\"http://www.musicxml.org/dtds/partwise.dtd\">\n";
  out += "<score-partwise version=\"4.0\">\n";
  out += "  <work><work-title>" + escape_markup(score.title) + "</work-title></work>\n";
  out += "  <identification><encoding><software>tonepoem</software></encoding></identification>\n";
  out += "  <part-list>\n";
  std::vector<Track> tracks = score.tracks;
  if (tracks.empty()) {
    Track silent;
    silent.name = "Silence";
    tracks.push_back(silent);
  }
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    const Track& t = tracks[i];
    const std::string id = "P" + std::to_string(i + 1);
    const std::string name = t.name.empty() ? "Track " + std::to_string(i + 1) : t.name;
    out += "    <score-part id=\"" + id + "\"><part-name>" + escape_markup(name) + "</part-name>";
    out +=
        "<score-instrument id=\"" + id + "-I1\"><instrument-name>" +
        escape_markup(t.channel == 9 ? std::string_view("Drum Kit") : gm_program_name(t.program)) +
        "</instrument-name></score-instrument>";
    out += "<midi-instrument id=\"" + id + "-I1\"><midi-channel>" +
           std::to_string(std::clamp(t.channel, 0, 15) + 1) + "</midi-channel>";
    if (t.channel != 9)
      out +=
          "<midi-program>" + std::to_string(std::clamp(t.program, 0, 127) + 1) + "</midi-program>";
    out += "<volume>" + num(std::clamp(t.gain * 100.0 * 100.0 / 127.0, 0.0, 100.0)) + "</volume>";
    out += "<pan>" + num(std::clamp(t.pan, -1.0, 1.0) * 90.0) + "</pan></midi-instrument>";
    out += "</score-part>\n";
  }
  out += "  </part-list>\n";

  for (std::size_t i = 0; i < tracks.size(); ++i) {
    const Track& t = tracks[i];
    const bool drums = t.channel == 9;
    const std::string id = "P" + std::to_string(i + 1);
    const std::vector<Event> events = events_of(t, grid);
    // Clef from the track's middle pitch.
    std::vector<int> pitches;
    for (const Note& n : t.notes) pitches.push_back(n.pitch);
    std::sort(pitches.begin(), pitches.end());
    const int middle = pitches.empty() ? 60 : pitches[pitches.size() / 2];

    out += "  <part id=\"" + id + "\">\n";
    std::size_t e = 0;
    const KeyEvent* last_key = nullptr;
    int last_beats = 0, last_beat_type = 0;
    for (std::size_t m = 0; m < bars.size(); ++m) {
      const Bar& bar = bars[m];
      out += "    <measure number=\"" + std::to_string(m + 1) + "\">";
      const KeyEvent* key = in_force(score.keys, bar.tick);
      const bool key_changes =
          key && (!last_key || key->tonic != last_key->tonic || key->mode != last_key->mode);
      const bool time_changes = bar.beats != last_beats || bar.beat_type != last_beat_type;
      const bool flats = key && key_fifths(key->tonic, key->mode) < 0;
      if (m == 0 || key_changes || time_changes) {
        out += "<attributes>";
        if (m == 0) out += "<divisions>" + std::to_string(kDiv) + "</divisions>";
        if (key_changes && !drums) {
          out += "<key><fifths>" + std::to_string(key_fifths(key->tonic, key->mode)) +
                 "</fifths><mode>" + std::string(xml_mode(key->mode)) + "</mode></key>";
        }
        if (time_changes) {
          out += "<time><beats>" + std::to_string(bar.beats) + "</beats><beat-type>" +
                 std::to_string(bar.beat_type) + "</beat-type></time>";
        }
        if (m == 0) {
          if (drums)
            out += "<clef><sign>percussion</sign></clef>";
          else if (middle < 55)
            out += "<clef><sign>F</sign><line>4</line></clef>";
          else
            out += "<clef><sign>G</sign><line>2</line></clef>";
        }
        out += "</attributes>";
        if (key_changes && !drums && i == 0) {
          out += "<direction placement=\"above\"><direction-type><words>" +
                 std::string(pitch_class_name(key->tonic)) + " " +
                 std::string(mode_name(key->mode)) + "</words></direction-type></direction>";
        }
      }
      if (key) last_key = key;
      last_beats = bar.beats;
      last_beat_type = bar.beat_type;

      // Directions: section names, tempo marks (first part only), instrument changes.
      if (i == 0) {
        for (const Marker& mk : score.markers) {
          if (mk.tick < bar.tick || mk.tick >= bar.end_tick) continue;
          out += "<direction placement=\"above\"><direction-type><rehearsal>" +
                 escape_markup(mk.text) + "</rehearsal></direction-type>";
          const std::int64_t off = grid.at(mk.tick) - bar.start;
          if (off > 0) out += "<offset>" + std::to_string(off) + "</offset>";
          out += "</direction>";
        }
        for (std::size_t k = 0; k < score.tempo.size(); ++k) {
          const TempoEvent& te = score.tempo[k];
          if (te.tick < bar.tick || te.tick >= bar.end_tick) continue;
          const std::int64_t off = grid.at(te.tick) - bar.start;
          out += "<direction placement=\"above\"><direction-type>";
          const TempoEvent* prev = k > 0 ? &score.tempo[k - 1] : nullptr;
          const TempoEvent* prev2 = k > 1 ? &score.tempo[k - 2] : nullptr;
          const std::int64_t bar_ticks = bar.end_tick - bar.tick;
          const bool section_start =
              std::any_of(score.markers.begin(), score.markers.end(),
                          [&](const Marker& mk) { return mk.tick == te.tick; });
          const bool far = !prev || te.tick - prev->tick >= bar_ticks;
          const bool run_start = !prev2 || prev->tick - prev2->tick >= bar_ticks ||
                                 (prev->bpm < prev2->bpm) != (te.bpm < prev->bpm);
          if (!prev || section_start || (far && off == 0)) {
            out += "<metronome><beat-unit>quarter</beat-unit><per-minute>" +
                   num(std::round(te.bpm)) + "</per-minute></metronome>";
          } else if (far || run_start) {
            // The first change of a ritardando or accelerando is named; the rest just sound.
            out += std::string("<words>") + (te.bpm < prev->bpm ? "rit." : "accel.") + "</words>";
          } else {
            out += "<metronome parentheses=\"yes\"><beat-unit>quarter</beat-unit><per-minute>" +
                   num(std::round(te.bpm)) + "</per-minute></metronome>";
          }
          out += "</direction-type>";
          if (off > 0) out += "<offset sound=\"yes\">" + std::to_string(off) + "</offset>";
          out += "<sound tempo=\"" + num(te.bpm) + "\"/></direction>";
        }
      }
      if (!drums) {
        for (const auto& [tick, program] : t.program_changes) {
          if (tick < bar.tick || tick >= bar.end_tick) continue;
          out += "<direction placement=\"above\"><direction-type><words>" +
                 escape_markup(gm_program_name(program)) +
                 "</words></direction-type><sound><midi-instrument id=\"" + id +
                 "-I1\"><midi-program>" + std::to_string(std::clamp(program, 0, 127) + 1) +
                 "</midi-program></midi-instrument></sound></direction>";
        }
      }

      // Notes and rests.
      const std::int64_t bar_end = bar.start + bar.len;
      while (e < events.size() && events[e].end <= bar.start) ++e;
      std::int64_t cursor = bar.start;
      bool any = false;
      for (std::size_t k = e; k < events.size() && events[k].start < bar_end; ++k) {
        const Event& ev = events[k];
        if (drums && ev.start < bar.start) continue;  // a drum hit is not held over the barline
        const std::int64_t seg_start = std::max(ev.start, bar.start);
        const std::int64_t seg_end = std::min(ev.end, bar_end);
        if (seg_end <= seg_start) continue;
        if (seg_start > cursor)
          for (const Value& v : split(seg_start - cursor))
            note_xml(out, v, nullptr, drums, flats, false, false);
        const bool tie_in = ev.start < bar.start && !drums;
        const bool tie_out = ev.end > bar_end && !drums;
        const std::vector<Value> parts = split(seg_end - seg_start);
        for (std::size_t p = 0; p < parts.size(); ++p) {
          const bool stop = !drums && (p > 0 || tie_in);
          const bool start = !drums && (p + 1 < parts.size() || tie_out);
          note_xml(out, parts[p], &ev.pitches, drums, flats, stop, start,
                   p == 0 && !tie_in ? ev.lyric : nullptr);
        }
        cursor = seg_end;
        any = true;
      }
      if (!any) {
        out += "<note><rest measure=\"yes\"/><duration>" + std::to_string(bar.len) +
               "</duration><voice>1</voice></note>";
      } else if (cursor < bar_end) {
        for (const Value& v : split(bar_end - cursor))
          note_xml(out, v, nullptr, drums, flats, false, false);
      }
      if (m + 1 == bars.size())
        out += "<barline location=\"right\"><bar-style>light-heavy</bar-style></barline>";
      out += "</measure>\n";
    }
    out += "  </part>\n";
  }
  out += "</score-partwise>\n";
  return out;
}

void save_musicxml(const Score& score, const std::filesystem::path& path) {
  write_file_atomically(path, write_musicxml(score));
}

}  // namespace tonepoem
