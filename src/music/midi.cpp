#include "music/midi.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/files.h"

namespace tonepoem {

namespace {

// ------------------------------------------------------------------------------------ writing

void put_u16(std::string& out, unsigned v) {
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
  out.push_back(static_cast<char>(v & 0xFF));
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

void put_vlq(std::string& out, std::uint32_t v) {
  char buf[5];
  int n = 0;
  buf[n++] = static_cast<char>(v & 0x7F);
  while ((v >>= 7) != 0) buf[n++] = static_cast<char>(0x80 | (v & 0x7F));
  while (n > 0) out.push_back(buf[--n]);
}

struct Event {
  std::int64_t tick;
  int order;  // ties at one tick: setup, note-offs, program changes, note-ons
  std::string bytes;
};

std::string meta(int type, std::string_view data) {
  std::string out;
  out.push_back(static_cast<char>(0xFF));
  out.push_back(static_cast<char>(type));
  put_vlq(out, static_cast<std::uint32_t>(data.size()));
  out.append(data);
  return out;
}

std::string channel_message(int status, int channel, int a, int b = -1) {
  std::string out;
  out.push_back(static_cast<char>((status & 0xF0) | (channel & 0x0F)));
  out.push_back(static_cast<char>(a & 0x7F));
  if (b >= 0) out.push_back(static_cast<char>(b & 0x7F));
  return out;
}

std::string track_chunk(std::vector<Event> events, std::int64_t end_tick) {
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.tick != b.tick ? a.tick < b.tick : a.order < b.order;
  });
  std::string data;
  std::int64_t last = 0;
  for (const Event& e : events) {
    put_vlq(data, static_cast<std::uint32_t>(std::max<std::int64_t>(0, e.tick - last)));
    data += e.bytes;
    last = std::max(last, e.tick);
  }
  put_vlq(data, static_cast<std::uint32_t>(std::max<std::int64_t>(0, end_tick - last)));
  data += meta(0x2F, "");
  std::string out = "MTrk";
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  return out + data;
}

// Notes of one pitch must not overlap on one channel: an earlier note is cut where the next
// starts, and of two notes starting together only the longer is kept.
std::vector<Note> untangle(std::vector<Note> notes) {
  std::stable_sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) {
    if (a.pitch != b.pitch) return a.pitch < b.pitch;
    if (a.tick != b.tick) return a.tick < b.tick;
    return a.duration > b.duration;
  });
  std::vector<Note> out;
  for (const Note& n : notes) {
    if (!out.empty() && out.back().pitch == n.pitch) {
      Note& prev = out.back();
      if (prev.tick == n.tick) continue;
      if (prev.tick + prev.duration > n.tick) prev.duration = n.tick - prev.tick;
    }
    out.push_back(n);
  }
  return out;
}

std::string key_text(int tonic, Mode mode) {
  return "key: " + std::string(pitch_class_name(tonic)) + " " + std::string(mode_name(mode));
}

}  // namespace

std::string write_midi(const Score& score) {
  std::int64_t end = score.end_tick;
  for (const Track& t : score.tracks)
    for (const Note& n : t.notes)
      end = std::max(end, n.tick + std::max<std::int64_t>(1, n.duration));

  std::string out = "MThd";
  put_u32(out, 6);
  put_u16(out, 1);
  put_u16(out, static_cast<unsigned>(score.tracks.size() + 1));
  put_u16(out, static_cast<unsigned>(std::clamp(score.ppq, 1, 0x7FFF)));

  // Conductor track.
  std::vector<Event> conductor;
  conductor.push_back({0, 0, meta(0x03, score.title)});
  for (const MeterEvent& m : score.meters) {
    int log2 = 0;
    while ((1 << log2) < m.denominator && log2 < 7) ++log2;
    std::string d;
    d.push_back(static_cast<char>(std::clamp(m.numerator, 1, 255)));
    d.push_back(static_cast<char>(log2));
    d.push_back(24);
    d.push_back(8);
    conductor.push_back({m.tick, 1, meta(0x58, d)});
  }
  for (const KeyEvent& k : score.keys) {
    std::string d;
    d.push_back(static_cast<char>(static_cast<std::int8_t>(key_fifths(k.tonic, k.mode))));
    d.push_back(is_minor_mode(k.mode) ? 1 : 0);
    conductor.push_back({k.tick, 2, meta(0x59, d)});
    conductor.push_back({k.tick, 3, meta(0x01, key_text(k.tonic, k.mode))});
  }
  for (const TempoEvent& t : score.tempo) {
    const auto usec = static_cast<std::uint32_t>(
        std::clamp<long long>(std::llround(60'000'000.0 / std::max(1e-3, t.bpm)), 1, 0xFFFFFF));
    std::string d;
    d.push_back(static_cast<char>((usec >> 16) & 0xFF));
    d.push_back(static_cast<char>((usec >> 8) & 0xFF));
    d.push_back(static_cast<char>(usec & 0xFF));
    conductor.push_back({t.tick, 4, meta(0x51, d)});
  }
  for (const Marker& m : score.markers) conductor.push_back({m.tick, 5, meta(0x06, m.text)});
  out += track_chunk(std::move(conductor), end);

  for (const Track& t : score.tracks) {
    const int ch = std::clamp(t.channel, 0, 15);
    std::vector<Event> ev;
    ev.push_back({0, 0, meta(0x03, t.name)});
    if (ch != 9) ev.push_back({0, 1, channel_message(0xC0, ch, std::clamp(t.program, 0, 127))});
    const int volume = static_cast<int>(std::clamp(std::lround(100.0 * t.gain), 0L, 127L));
    const int pan = static_cast<int>(std::clamp(std::lround(64.0 + 63.0 * t.pan), 0L, 127L));
    ev.push_back({0, 2, channel_message(0xB0, ch, 7, volume)});
    ev.push_back({0, 3, channel_message(0xB0, ch, 10, pan)});
    if (ch != 9)
      for (const auto& [tick, program] : t.program_changes)
        ev.push_back({tick, 11, channel_message(0xC0, ch, std::clamp(program, 0, 127))});
    for (const Lyric& l : t.lyrics) ev.push_back({l.tick, 11, meta(0x05, l.text)});
    for (const Note& n : untangle(t.notes)) {
      if (n.duration <= 0) continue;
      const int pitch = std::clamp(n.pitch, 0, 127);
      ev.push_back({n.tick, 12, channel_message(0x90, ch, pitch, std::clamp(n.velocity, 1, 127))});
      ev.push_back({n.tick + n.duration, 10, channel_message(0x80, ch, pitch, 0)});
    }
    out += track_chunk(std::move(ev), end);
  }
  return out;
}

void save_midi(const Score& score, const std::filesystem::path& path) {
  write_file_atomically(path, write_midi(score));
}

// ------------------------------------------------------------------------------------ reading

namespace {

class Reader {
 public:
  Reader(std::string_view bytes, std::string_view source) : b_(bytes), source_(source) {}

  [[noreturn]] void fail(const std::string& what, std::size_t at) const {
    throw Error(ExitCode::bad_input, "malformed MIDI: " + what + " at byte " + std::to_string(at),
                source_,
                "the file is not a valid Standard MIDI File; export it again from your editor or "
                "choose another file");
  }
  std::size_t pos() const { return pos_; }
  void seek(std::size_t p) { pos_ = p; }
  bool at_end(std::size_t limit) const { return pos_ >= limit; }

  std::uint8_t u8(std::size_t limit, const char* what) {
    if (pos_ >= limit) fail(std::string("unexpected end of data in ") + what, pos_);
    return static_cast<std::uint8_t>(b_[pos_++]);
  }
  std::uint32_t u16(std::size_t limit, const char* what) {
    const std::uint32_t hi = u8(limit, what);
    return (hi << 8) | u8(limit, what);
  }
  std::uint32_t u32(std::size_t limit, const char* what) {
    const std::uint32_t hi = u16(limit, what);
    return (hi << 16) | u16(limit, what);
  }
  std::uint32_t vlq(std::size_t limit, const char* what) {
    const std::size_t start = pos_;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const std::uint8_t c = u8(limit, what);
      v = (v << 7) | (c & 0x7F);
      if ((c & 0x80) == 0) return v;
    }
    fail(std::string("variable-length number longer than 4 bytes in ") + what, start);
  }
  std::string_view take(std::size_t n, std::size_t limit, const char* what) {
    if (n > limit - pos_)
      fail(std::string(what) + " of " + std::to_string(n) + " bytes runs past the end", pos_);
    std::string_view out = b_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  std::size_t size() const { return b_.size(); }

 private:
  std::string_view b_;
  std::string source_;
  std::size_t pos_ = 0;
};

struct RawNote {
  std::int64_t tick;
  int velocity;
};

struct ChannelData {
  std::vector<Note> notes;
  std::vector<std::pair<std::int64_t, int>> programs;
  int volume = -1, pan = -1;
};

std::string role_from_name(const std::string& name, int channel) {
  if (channel == 9) return "drums";
  static constexpr std::array<std::string_view, 8> kRoles = {
      "melody", "doubling", "chords", "pad", "bass", "timpani", "drums", "counter"};
  std::string lower;
  for (char c : name)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (std::string_view r : kRoles)
    if (lower.rfind(r, 0) == 0) return std::string(r);
  return "";
}

bool parse_key_text(std::string_view text, int& tonic, Mode& mode) {
  if (text.rfind("key: ", 0) != 0) return false;
  std::istringstream in{std::string(text.substr(5))};
  std::string t, m;
  in >> t >> m;
  int found_tonic = -1;
  for (int pc = 0; pc < 12; ++pc)
    if (pitch_class_name(pc) == t) found_tonic = pc;
  for (int k = 0; k < 7; ++k) {
    if (mode_name(static_cast<Mode>(k)) == m && found_tonic >= 0) {
      tonic = found_tonic;
      mode = static_cast<Mode>(k);
      return true;
    }
  }
  return false;
}

template <typename T>
void sort_unique_by_tick(std::vector<T>& v) {
  std::stable_sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.tick < b.tick; });
  std::vector<T> out;
  for (const T& x : v) {
    if (!out.empty() && out.back().tick == x.tick)
      out.back() = x;  // the later one wins
    else
      out.push_back(x);
  }
  v = std::move(out);
}

}  // namespace

Score read_midi(std::string_view bytes, std::string_view source) {
  Reader r(bytes, source);
  const std::size_t n = bytes.size();
  if (n < 14 || bytes.substr(0, 4) != "MThd")
    r.fail("no MThd header (not a Standard MIDI File)", 0);
  r.seek(4);
  const std::uint32_t header_len = r.u32(n, "the header");
  if (header_len < 6) r.fail("header length " + std::to_string(header_len) + " is below 6", 4);
  const std::size_t header_end = 8 + static_cast<std::size_t>(header_len);
  if (header_end > n) r.fail("header runs past the end of the file", 4);
  const std::uint32_t format = r.u16(n, "the header");
  const std::uint32_t ntracks = r.u16(n, "the header");
  const std::uint32_t division = r.u16(n, "the header");
  if (format > 1)
    r.fail("SMF format " + std::to_string(format) + " is not supported (only 0 and 1)", 8);
  if (division & 0x8000) r.fail("SMPTE time division is not supported", 12);
  if (division == 0) r.fail("time division of 0 ticks per quarter note", 12);
  r.seek(header_end);

  Score score;
  score.ppq = static_cast<int>(division);
  struct Chunk {
    std::string name;
    std::map<int, ChannelData> channels;
    std::vector<Lyric> lyrics;
  };
  std::vector<Chunk> chunks;
  std::vector<std::pair<std::int64_t, std::string>> key_texts;
  std::int64_t end_tick = 0;

  std::uint32_t found = 0;
  while (found < ntracks) {
    if (r.pos() + 8 > n)
      r.fail(
          "expected " + std::to_string(ntracks) + " track chunks, found " + std::to_string(found),
          r.pos());
    const std::size_t chunk_start = r.pos();
    const std::string_view id = r.take(4, n, "chunk id");
    const std::uint32_t len = r.u32(n, "chunk length");
    if (len > n - r.pos())
      r.fail("chunk of " + std::to_string(len) + " bytes runs past the end of the file",
             chunk_start);
    const std::size_t limit = r.pos() + len;
    if (id != "MTrk") {  // unknown chunks are skipped, as the standard says
      r.seek(limit);
      continue;
    }
    ++found;
    Chunk chunk;
    std::map<int, std::deque<RawNote>> pending;  // channel*128+pitch -> note-ons
    std::int64_t tick = 0;
    int running = 0;
    while (!r.at_end(limit)) {
      tick += r.vlq(limit, "a delta time");
      const std::size_t event_at = r.pos();
      int status = r.u8(limit, "an event");
      int first_data = -1;
      if (status < 0x80) {
        if (running == 0) r.fail("data byte without a running status", event_at);
        first_data = status;
        status = running;
      }
      if (status == 0xFF) {
        running = 0;
        const int type = r.u8(limit, "a meta event");
        const std::uint32_t mlen = r.vlq(limit, "a meta event length");
        const std::string_view d = r.take(mlen, limit, "meta event");
        if (type == 0x2F) break;
        if (type == 0x03 && chunk.name.empty()) chunk.name = std::string(d);
        if (type == 0x51) {
          if (mlen != 3)
            r.fail("tempo event with " + std::to_string(mlen) + " data bytes", event_at);
          const std::uint32_t usec =
              (static_cast<std::uint32_t>(static_cast<std::uint8_t>(d[0])) << 16) |
              (static_cast<std::uint32_t>(static_cast<std::uint8_t>(d[1])) << 8) |
              static_cast<std::uint8_t>(d[2]);
          if (usec == 0) r.fail("tempo of 0 microseconds per quarter note", event_at);
          score.tempo.push_back({tick, 60'000'000.0 / usec});
        } else if (type == 0x58) {
          if (mlen < 2)
            r.fail("time signature with " + std::to_string(mlen) + " data bytes", event_at);
          const int num = static_cast<std::uint8_t>(d[0]);
          const int log2 = static_cast<std::uint8_t>(d[1]);
          if (num == 0 || log2 > 6)
            r.fail("time signature " + std::to_string(num) + "/2^" + std::to_string(log2),
                   event_at);
          score.meters.push_back({tick, num, 1 << log2});
        } else if (type == 0x59) {
          if (mlen != 2)
            r.fail("key signature with " + std::to_string(mlen) + " data bytes", event_at);
          const int sf = static_cast<std::int8_t>(d[0]);
          const int mi = static_cast<std::uint8_t>(d[1]);
          if (sf < -7 || sf > 7 || mi > 1) r.fail("key signature out of range", event_at);
          const int major = ((sf * 7) % 12 + 12) % 12;
          score.keys.push_back(mi ? KeyEvent{tick, (major + 9) % 12, Mode::aeolian}
                                  : KeyEvent{tick, major, Mode::ionian});
        } else if (type == 0x06) {
          score.markers.push_back({tick, std::string(d)});
        } else if (type == 0x05) {
          chunk.lyrics.push_back({tick, std::string(d)});
        } else if (type == 0x01) {
          key_texts.emplace_back(tick, std::string(d));
        }
        continue;
      }
      if (status == 0xF0 || status == 0xF7) {
        running = 0;
        const std::uint32_t slen = r.vlq(limit, "a sysex length");
        r.take(slen, limit, "sysex event");
        continue;
      }
      if (status >= 0xF0)
        r.fail(
            "status byte 0x" +
                [&] {
                  char buf[8];
                  std::snprintf(buf, sizeof buf, "%02X", status);
                  return std::string(buf);
                }() +
                " is not allowed in a MIDI file",
            event_at);
      running = status;
      const int kind = status & 0xF0;
      const int ch = status & 0x0F;
      auto data = [&]() -> int {
        if (first_data >= 0) {
          const int v = first_data;
          first_data = -1;
          return v;
        }
        const std::size_t at = r.pos();
        const int v = r.u8(limit, "a channel message");
        if (v >= 0x80) r.fail("data byte above 127 in a channel message", at);
        return v;
      };
      const int a = data();
      const int b = (kind == 0xC0 || kind == 0xD0) ? 0 : data();
      ChannelData& cd = chunk.channels[ch];
      if (kind == 0x90 && b > 0) {
        pending[ch * 128 + a].push_back({tick, b});
      } else if (kind == 0x80 || kind == 0x90) {
        auto it = pending.find(ch * 128 + a);
        if (it != pending.end() && !it->second.empty()) {
          const RawNote on = it->second.front();
          it->second.pop_front();
          cd.notes.push_back(
              Note{on.tick, std::max<std::int64_t>(1, tick - on.tick), a, on.velocity});
        }
      } else if (kind == 0xC0) {
        cd.programs.emplace_back(tick, a);
      } else if (kind == 0xB0) {
        if (a == 7) cd.volume = b;
        if (a == 10) cd.pan = b;
      }
    }
    // Notes still held at the end of the track end there.
    for (auto& [key, list] : pending)
      for (const RawNote& on : list)
        chunk.channels[key / 128].notes.push_back(
            Note{on.tick, std::max<std::int64_t>(1, tick - on.tick), key % 128, on.velocity});
    end_tick = std::max(end_tick, tick);
    r.seek(limit);
    chunks.push_back(std::move(chunk));
  }

  // Tracks: one per (chunk, channel) that plays notes.
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    Chunk& chunk = chunks[c];
    std::size_t with_notes = 0;
    for (auto& [ch, cd] : chunk.channels) with_notes += cd.notes.empty() ? 0 : 1;
    if (with_notes == 0 && c == 0 && score.title.empty()) score.title = chunk.name;
    for (auto& [ch, cd] : chunk.channels) {
      if (cd.notes.empty()) continue;
      Track t;
      t.name = chunk.name;
      if (with_notes > 1 || t.name.empty())
        t.name += (t.name.empty() ? "" : " ") + std::string("Channel ") + std::to_string(ch + 1);
      t.channel = ch;
      t.role = role_from_name(chunk.name, ch);
      std::stable_sort(cd.notes.begin(), cd.notes.end(), [](const Note& x, const Note& y) {
        return x.tick != y.tick ? x.tick < y.tick : x.pitch < y.pitch;
      });
      const std::int64_t first_note = cd.notes.front().tick;
      std::size_t k = 0;
      for (; k < cd.programs.size() && cd.programs[k].first <= first_note; ++k)
        t.program = cd.programs[k].second;
      for (; k < cd.programs.size(); ++k) t.program_changes.push_back(cd.programs[k]);
      if (cd.volume >= 0) t.gain = cd.volume / 100.0;
      if (cd.pan >= 0) t.pan = std::clamp((cd.pan - 64) / 63.0, -1.0, 1.0);
      for (const Note& note : cd.notes) end_tick = std::max(end_tick, note.tick + note.duration);
      t.notes = std::move(cd.notes);
      if (with_notes == 1) t.lyrics = std::move(chunk.lyrics);  // a vocal track's words
      score.tracks.push_back(std::move(t));
    }
  }

  // Maps: sorted, one per tick, starting at tick 0.
  sort_unique_by_tick(score.tempo);
  sort_unique_by_tick(score.meters);
  sort_unique_by_tick(score.keys);
  for (const auto& [tick, text] : key_texts) {
    int tonic = 0;
    Mode mode = Mode::ionian;
    if (!parse_key_text(text, tonic, mode)) continue;
    for (KeyEvent& k : score.keys)
      if (k.tick == tick) {
        k.tonic = tonic;
        k.mode = mode;
      }
  }
  if (score.tempo.empty() || score.tempo.front().tick != 0)
    score.tempo.insert(score.tempo.begin(), {0, 120.0});
  if (score.meters.empty() || score.meters.front().tick != 0)
    score.meters.insert(score.meters.begin(), {0, 4, 4});
  if (score.keys.empty() || score.keys.front().tick != 0)
    score.keys.insert(score.keys.begin(), {0, 0, Mode::ionian});
  std::stable_sort(score.markers.begin(), score.markers.end(),
                   [](const Marker& a, const Marker& b) { return a.tick < b.tick; });
  score.end_tick = end_tick;

  // Sections from the markers.
  auto at = [](const auto& map, std::int64_t tick) {
    auto best = map.front();
    for (const auto& e : map)
      if (e.tick <= tick) best = e;
    return best;
  };
  for (std::size_t i = 0; i < score.markers.size(); ++i) {
    ScoreSection s;
    s.name = score.markers[i].text;
    s.start_tick = score.markers[i].tick;
    s.end_tick = i + 1 < score.markers.size() ? score.markers[i + 1].tick : score.end_tick;
    s.start_s = score.seconds_at(s.start_tick);
    s.end_s = score.seconds_at(s.end_tick);
    const KeyEvent k = at(score.keys, s.start_tick);
    s.tonic = k.tonic;
    s.mode = k.mode;
    s.tempo_bpm = at(score.tempo, s.start_tick).bpm;
    s.beats_per_bar = at(score.meters, s.start_tick).numerator;
    for (const Track& t : score.tracks) {
      int program = t.program;
      for (const auto& [tick, p] : t.program_changes)
        if (tick <= s.start_tick) program = p;
      const bool plays = std::any_of(t.notes.begin(), t.notes.end(), [&](const Note& note) {
        return note.tick >= s.start_tick && note.tick < s.end_tick;
      });
      if (!plays) continue;
      const std::string name =
          t.channel == 9 ? "Standard Drum Kit" : std::string(gm_program_name(program));
      if (std::find(s.instruments.begin(), s.instruments.end(), name) == s.instruments.end())
        s.instruments.push_back(name);
    }
    score.sections.push_back(std::move(s));
  }
  return score;
}

Score load_midi(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail_input(path.string(), "cannot open the MIDI file",
               "check that the path exists and is readable");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad())
    fail_input(path.string(), "cannot read the MIDI file", "check the file's permissions");
  return read_midi(bytes, path.string());
}

}  // namespace tonepoem
