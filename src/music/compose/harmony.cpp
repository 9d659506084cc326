// Harmony: chords in a key (diatonic, dominants, cadential chords), the functional walk between
// degrees, and each phrase's progression with its cadence, pivot modulation and secondary
// dominants.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compose_internal.h"
#include "core/rng.h"

namespace tonepoem::composer {
namespace {

// ----------------------------------------------------------------------------- keys and chords

std::string roman_numeral(const Key& key, const Harm& h) {
  static constexpr std::array<std::string_view, 7> kUpper = {"I", "II", "III", "IV",
                                                             "V", "VI", "VII"};
  static constexpr std::array<int, 7> kMajor = {0, 2, 4, 5, 7, 9, 11};
  // Degree by letter: the nearest major-scale degree to the root.
  int degree = 0;
  int best = 99;
  int accidental = 0;
  const int rel = mod12(h.root - key.tonic);
  for (int d = 0; d < 7; ++d) {
    int diff = rel - kMajor[static_cast<std::size_t>(d)];
    if (diff > 6) diff -= 12;
    if (diff < -6) diff += 12;
    // Prefer the mode's own degree when the root is diatonic.
    const bool diatonic = h.degree == d;
    const int score = std::abs(diff) * 2 - (diatonic ? 3 : 0);
    if (score < best) {
      best = score;
      degree = d;
      accidental = diff;
    }
  }
  const bool has3 = std::find(h.intervals.begin(), h.intervals.end(), 3) != h.intervals.end();
  const bool has6 = std::find(h.intervals.begin(), h.intervals.end(), 6) != h.intervals.end();
  const bool has8 = std::find(h.intervals.begin(), h.intervals.end(), 8) != h.intervals.end();
  std::string name(kUpper[static_cast<std::size_t>(degree)]);
  if (has3)
    for (char& c : name) c = static_cast<char>(c - 'A' + 'a');
  std::string out;
  if (accidental < 0) out += std::string(static_cast<std::size_t>(-accidental), 'b');
  if (accidental > 0) out += std::string(static_cast<std::size_t>(accidental), '#');
  out += name;
  if (has3 && has6) out += "o";
  if (!has3 && has8) out += "+";
  const bool has10 = std::find(h.intervals.begin(), h.intervals.end(), 10) != h.intervals.end();
  const bool has11 = std::find(h.intervals.begin(), h.intervals.end(), 11) != h.intervals.end();
  if (has10 || has11) out += has11 && !has3 ? "maj7" : "7";
  if (std::find(h.intervals.begin(), h.intervals.end(), 14) != h.intervals.end()) out += "(9)";
  return out;
}

// Diatonic chord on `degree`; extension 0 triad, 1 seventh, 2 seventh and ninth.
Harm diatonic(const Key& key, int degree, int extension) {
  Harm h;
  h.degree = ((degree % 7) + 7) % 7;
  h.root = key.pc(degree);
  h.intervals = {0, mod12(key.pc(degree + 2) - h.root), mod12(key.pc(degree + 4) - h.root)};
  if (extension >= 1) h.intervals.push_back(mod12(key.pc(degree + 6) - h.root));
  if (extension >= 2) h.intervals.push_back(12 + mod12(key.pc(degree + 1) - h.root));
  h.roman = roman_numeral(key, h);
  return h;
}

bool is_diminished(const Key& key, int degree) {
  const Harm h = diatonic(key, degree, 0);
  return h.intervals[1] == 3 && h.intervals[2] == 6;
}

// A major (dominant-seventh) chord on `root` pitch class; `label` is its Roman numeral.
Harm dominant_on(int root, bool seventh, int degree, std::string label) {
  Harm h;
  h.root = mod12(root);
  h.degree = degree;
  h.intervals = {0, 4, 7};
  if (seventh) h.intervals.push_back(10);
  h.roman = std::move(label);
  return h;
}

// The chord that closes an authentic cadence onto the tonic in this mode.
Harm cadential_dominant(const Key& key, bool seventh) {
  switch (key.mode) {
    case Mode::mixolydian:
      return diatonic(key, 6, 0);  // bVII - I
    case Mode::phrygian:
    case Mode::locrian:
      return diatonic(key, 1, 0);  // bII - i
    default: {
      Harm h = dominant_on(key.pc(4), seventh, 4, "");
      h.roman = roman_numeral(key, h);
      return h;
    }
  }
}

int predominant_degree_raw(const Key& key, Rng& rng) {
  switch (key.mode) {
    case Mode::phrygian:
    case Mode::locrian:
      return rng.chance(0.5) ? 3 : 6;
    case Mode::aeolian:
      return rng.chance(0.7) ? 3 : 5;
    case Mode::dorian:
      return rng.chance(0.6) ? 3 : 1;
    default:
      return rng.chance(0.55) ? 3 : 1;
  }
}

// ii, IV (iv) or a modal substitute, never a diminished triad.
int predominant_degree(const Key& key, Rng& rng) {
  const int d = predominant_degree_raw(key, rng);
  if (!is_diminished(key, d)) return d;
  for (int alt : {1, 3, 5})
    if (!is_diminished(key, alt)) return alt;
  return 3;
}

// Functional tendencies between diatonic degrees (rows: from I..vii, columns: to I..vii).
constexpr std::array<std::array<double, 7>, 7> kNext = {{
    {0.0, 0.15, 0.05, 0.30, 0.20, 0.25, 0.05},
    {0.05, 0.0, 0.05, 0.10, 0.60, 0.05, 0.15},
    {0.05, 0.10, 0.0, 0.35, 0.05, 0.45, 0.0},
    {0.20, 0.20, 0.05, 0.0, 0.40, 0.05, 0.10},
    {0.55, 0.05, 0.05, 0.10, 0.0, 0.25, 0.0},
    {0.05, 0.35, 0.10, 0.35, 0.15, 0.0, 0.0},
    {0.70, 0.0, 0.20, 0.0, 0.0, 0.10, 0.0},
}};

int characteristic_degree(Mode mode) {
  switch (mode) {
    case Mode::lydian:
      return 1;  // II major
    case Mode::mixolydian:
      return 6;  // bVII
    case Mode::dorian:
      return 3;  // IV major
    case Mode::aeolian:
      return 5;  // bVI
    case Mode::phrygian:
      return 1;  // bII
    default:
      return -1;
  }
}

int next_degree(const Key& key, int from, Rng& rng) {
  std::array<double, 7> w = kNext[static_cast<std::size_t>(((from % 7) + 7) % 7)];
  const int special = characteristic_degree(key.mode);
  for (int d = 0; d < 7; ++d) {
    auto& x = w[static_cast<std::size_t>(d)];
    if (d == special) x = x * 2.5 + 0.1;
    if (is_diminished(key, d)) x *= (key.mode == Mode::ionian && d == 6) ? 0.5 : 0.0;
    if (d == from) x = 0;
  }
  // The minor dominant of the modal scales is weak; rely on the cadential dominant instead.
  if (key.mode != Mode::ionian && key.mode != Mode::lydian) w[4] *= 0.5;
  return static_cast<int>(rng.pick(w));
}
// ---------------------------------------------------------------------------------- harmony

int extension_for(const MusicParams& p, Rng& rng) {
  if (rng.chance(std::max(0.0, p.dissonance - 0.5))) return 2;
  return rng.chance(p.dissonance * 0.8) ? 1 : 0;
}

}  // namespace

std::vector<std::vector<Harm>> phrase_harmony(const Section& s, const Phrase& ph,
                                              const std::optional<Key>& next_key, bool final_phrase,
                                              Rng& rng) {
  const Key& key = s.key_at(s.start_tick + ph.first_bar * s.bar_ticks());
  const MusicParams& p = s.p;
  const int n = ph.bars;
  std::vector<std::vector<Harm>> bars(static_cast<std::size_t>(n));
  const bool seventh_dom = rng.chance(0.4 + 0.5 * p.dissonance);

  // Body: a functional walk from the opening chord.
  int degree = 0;
  if (ph.first_bar != 0 && !ph.leitmotif) {
    constexpr std::array<double, 3> kOpen = {3, 1, 1};
    constexpr std::array<int, 3> kOpenDegrees = {0, 5, 3};
    degree = kOpenDegrees[rng.pick(kOpen)];
    if (is_diminished(key, degree)) degree = 0;
  }
  const int cadence_bars = std::min(n, 2);
  for (int j = 0; j < n - cadence_bars; ++j) {
    if (j > 0) degree = next_degree(key, degree, rng);
    const int extension = j == 0 ? 0 : extension_for(p, rng);
    if (key.mode == Mode::aeolian && degree == 4) {
      // Harmonic minor: the dominant inside the phrase is major too (its raised leading tone is
      // what makes minor unmistakable), as at the cadence.
      Harm h = dominant_on(key.pc(4), extension >= 1, 4, "");
      h.roman = roman_numeral(key, h);
      bars[static_cast<std::size_t>(j)].push_back(h);
      continue;
    }
    bars[static_cast<std::size_t>(j)].push_back(diatonic(key, degree, extension));
  }

  // Cadence.
  const Harm tonic = diatonic(key, 0, 0);
  const Harm dom = cadential_dominant(key, seventh_dom);
  int pre_degree = predominant_degree(key, rng);
  if (n >= 3 && !bars[static_cast<std::size_t>(n - 3)].empty() &&
      bars[static_cast<std::size_t>(n - 3)].front().degree == pre_degree) {
    for (int alt : {1, 3, 5})
      if (alt != pre_degree && !is_diminished(key, alt)) {
        pre_degree = alt;
        break;
      }
  }
  Harm pre = diatonic(key, pre_degree, extension_for(p, rng));
  auto& last = bars[static_cast<std::size_t>(n - 1)];
  auto* penult = n >= 2 ? &bars[static_cast<std::size_t>(n - 2)] : nullptr;
  const std::string& kind = ph.cadence;
  if (kind == "modulating" && next_key) {
    const Key& nk = *next_key;
    Harm to_dom = dominant_on(nk.pc(4), true, -1, "");
    to_dom.roman = "V7/" + std::string(pitch_class_name(mod12(nk.tonic)));
    if (nk.mode == Mode::phrygian || nk.mode == Mode::locrian) {
      to_dom = diatonic(nk, 1, 0);
      to_dom.roman = "bII/" + std::string(pitch_class_name(mod12(nk.tonic)));
      to_dom.degree = -1;
    }
    if (penult) {
      // Pivot: a chord diatonic in both keys, a predominant in the new one.
      std::optional<Harm> pivot;
      for (int nd : {1, 3, 5, 0}) {
        const Harm cand = diatonic(nk, nd, 0);
        if (cand == to_dom) continue;
        for (int od = 0; od < 7 && !pivot; ++od) {
          Harm old = diatonic(key, od, 0);
          if (old == cand && !is_diminished(key, od)) {
            old.roman += "=" + diatonic(nk, nd, 0).roman;
            pivot = old;
          }
        }
        if (pivot) break;
      }
      penult->clear();
      if (!pivot) {
        // No chord is common to both keys: step into the new key through its own predominant.
        Harm direct = diatonic(nk, is_diminished(nk, 3) ? 1 : 3, 0);
        direct.roman += "/" + std::string(pitch_class_name(mod12(nk.tonic)));
        direct.degree = -1;
        pivot = direct;
      }
      penult->push_back(*pivot);
    }
    last.clear();
    last.push_back(to_dom);
  } else if (kind == "half") {
    if (penult) {
      penult->clear();
      penult->push_back(pre);
    }
    last.clear();
    last.push_back(dom);
  } else if (kind == "plagal") {
    if (penult) {
      penult->clear();
      penult->push_back(diatonic(key, 3, 0));
    }
    last.clear();
    last.push_back(tonic);
  } else if (kind == "deceptive") {
    if (penult) {
      penult->clear();
      penult->push_back(pre);
      penult->push_back(dom);
    }
    last.clear();
    last.push_back(diatonic(key, 5, 0));
  } else {  // authentic (phrygian in the dark modes)
    if (penult) {
      penult->clear();
      if (n == 2 && ph.first_bar == 0) {
        penult->push_back(tonic);
      } else {
        penult->push_back(pre);
      }
      penult->push_back(dom);
    }
    last.clear();
    last.push_back(tonic);
    if (n == 1 && !final_phrase) {
      last.clear();
      last.push_back(tonic);
    }
  }

  // Secondary dominants: V7/x in the second half of the bar before x.
  for (int j = 1; j < n; ++j) {
    auto& target_bar = bars[static_cast<std::size_t>(j)];
    auto& before = bars[static_cast<std::size_t>(j - 1)];
    const Harm& target = target_bar.front();
    if (target.degree < 1 || target.degree > 5 || before.size() != 1) continue;
    if (target.intervals.size() < 3 || target.intervals[2] != 7) continue;  // not to dim/aug
    if (j - 1 < s.leitmotif_bars && ph.leitmotif) continue;
    if (before.front() == target) continue;
    if (!rng.chance(p.secondary_dominants)) continue;
    Harm sd = dominant_on(target.root + 7, true, -1, "");
    std::string target_name = diatonic(key, target.degree, 0).roman;
    sd.roman = "V7/" + target_name;
    before.push_back(sd);
  }

  // Labels.
  last.back().cadence = kind;
  if (kind == "authentic" && (key.mode == Mode::phrygian || key.mode == Mode::locrian))
    last.back().cadence = "phrygian";
  return bars;
}

}  // namespace tonepoem::composer
