// A film's cue sheet fitted to its picture: cue boundaries moved onto chosen cuts, hit points on
// hard cuts in high-arousal passages, a plan from the picture alone when there is no dialogue,
// and the music's gain under the dialogue.
#pragma once

#include <vector>

#include <string>

#include "footage/footage.h"
#include "model/audio.h"
#include "model/cue_sheet.h"
#include "model/score.h"

namespace tonepoem {

class PcmSource;  // audio/audio.h

// Where one cue boundary went: `wanted_s` from the dialogue (or the picture), `placed_s` where the
// cue now starts (a cut's time when `snapped`).
struct BoundaryPlacement {
  double wanted_s = 0, placed_s = 0;
  bool snapped = false;
  std::int64_t cut_frame = -1;  // the cut it sits on, or -1
};

struct FitOptions {
  double max_snap_s = 3.0;     // a boundary moves to the nearest cut at most this far away ...
  double snap_fraction = 0.3;  // ... and at most this fraction of the shorter neighbouring cue
  double min_cue_s = 2.0;      // a boundary that would leave a shorter cue is dropped (cues merge)
  // A hard cut becomes a hit point (kind "cut") in a cue whose target arousal reaches this, at
  // least `min_hit_gap_s` from other hits and from cue starts.
  double hit_arousal = 0.3;
  double min_hit_gap_s = 2.0;
  // A scene that wants silence (leave_gaps_for_dialogue): lines cover at least this share of a
  // cue whose target arousal is at most `gap_max_arousal`.
  double gap_dialogue_share = 0.75;
  double gap_max_arousal = -0.2;
  // With subtitles, how far each cue's target moves toward the picture's emotion over the cue
  // (blend_picture_into_cues): the words lead, the picture moves them.
  double picture_weight = 0.3;
  // ... and the arousal moved by the film's own sound (blend_sound_into_cues).
  double sound_weight = 0.2;
  // Without dialogue the scenes are runs of shots with a consistent arc (arc_scene_starts): each
  // scene past the first must explain this much of the arc's spread (seconds times squared units
  // of valence and arousal: two 25-second halves 0.4 apart give 2), and none is longer than
  // `max_scene_s`.
  double scene_change_cost = 2.0;
  double max_scene_s = 90.0;
  // With dialogue the words choose the cues; a cue is split where its shots' arc turns
  // (split_cues_at_arc_turns) only when each part explains this much (a clearer turn).
  double dialogue_scene_change_cost = 4.0;
};

// `planned` is the plan of the subtitles (plan/plan.h) for the film's length, one caption per
// subtitle sentence, in the plan's own (scaled) times; `spans` are the subtitles' real times, one
// per caption. The result keeps the plan's cues and targets, with each boundary at the gap between
// the subtitles it falls between, then on the nearest cut within reach; captions and the plan's
// own hit points take the subtitles' real times; hard cuts in high-arousal cues become hits.
// `placements` (may be null) receives one entry per boundary kept.
CueSheet fit_cues_to_film(const CueSheet& planned, const std::vector<Caption>& spans,
                          const FootageAnalysis& film, const FitOptions& options,
                          std::vector<BoundaryPlacement>* placements = nullptr);

// Scenes that want silence: a cue, neither the first nor the last of a film of three cues or
// more, whose target is calm (arousal at most options.gap_max_arousal) and whose time is mostly
// dialogue (the spans cover at least options.gap_dialogue_share of it) is left without music
// (Cue::music false: the actors carry it; the next cue brings the music back). Returns how many.
int leave_gaps_for_dialogue(CueSheet& cues, const std::vector<Caption>& spans,
                            const FitOptions& options);

// The picture's emotion over [start_s, end_s): arousal from the cut rate and motion, valence from
// brightness and colour, tension from darkness and motion. A heuristic, not a fitted model.
Emotion picture_emotion(const FootageAnalysis& film, double start_s, double end_s);

// Each cue's target valence, arousal and tension moved `weight` of the way toward the picture's
// emotion over the cue (picture_emotion): a hectic stretch raises the arousal the subtitles gave,
// a dark one lowers the valence. 0 leaves the cues as they are.
void blend_picture_into_cues(CueSheet& cues, const FootageAnalysis& film, double weight);

// Each cue's target arousal raised or lowered by `weight` times what the film's own sound says of
// the cue against the whole film: louder and busier (more onsets a second) than the film's
// average is more aroused (+1 at 12 dB louder, or 4 onsets a second more; clamped to [-1, 1]), so
// the arc keeps its spread. Silent or empty sound leaves the cues as they are.
void blend_sound_into_cues(CueSheet& cues, const AudioBuffer& sound, double weight);
// The same read from a source an analysis frame at a time (memory flat in the film's length);
// `whole`, when given, is extract_audio_features() of all of `sound` (measured once for this and
// shot_arc).
void blend_sound_into_cues(CueSheet& cues, const PcmSource& sound, double weight,
                           const AudioFeatures* whole = nullptr);

// The film's emotion shot by shot (CueSheet::arc: what moves the music inside each cue): a point
// at the middle of every shot, and every `step_s` inside a longer one. Each point fuses the lines
// spoken there (their emotion, weighted by overlap; the words lead), the shot's picture
// (picture_emotion, with the cut rate of the `window_s` around it: fast cutting is arousal) moving
// them by `options.picture_weight` (alone where nobody speaks), and the sound of the `window_s`
// around it against the whole film's (louder, busier: more aroused, by `options.sound_weight`).
// `sound` may be null (a silent film); `whole` as for blend_sound_into_cues. Empty for a film
// without shots.
std::vector<ArcPoint> shot_arc(const FootageAnalysis& film, const std::vector<Caption>& lines,
                               const PcmSource* sound, const FitOptions& options,
                               const AudioFeatures* whole = nullptr, double step_s = 5.0,
                               double window_s = 5.0);

// Scenes as runs of shots with a consistent arc: the scene starts, chosen among the film's cuts,
// that split `arc` into stretches each as even in valence and arousal as it can be (the sum over
// the scenes of the squared distances of their points, weighted by the time each point stands
// for, to the scene's mean), each scene past the first costing `options.scene_change_cost`;
// scenes last `min_scene_s` .. `options.max_scene_s`. A stretch longer than that with no cut in
// it may be split inside a shot (every `step_s`). A film of two min_scene_s or more gets two
// scenes at least (the best single split): music that changes with the picture. Sorted, each in
// (0, duration); empty for a film too short to split or an empty arc.
std::vector<double> arc_scene_starts(const std::vector<ArcPoint>& arc, const FootageAnalysis& film,
                                     const FitOptions& options, double min_scene_s = 8.0,
                                     double step_s = 5.0);

// With dialogue: each cue of `sheet` (its music on) whose shots' arc (sheet.arc) turns is split
// there, as arc_scene_starts would split it (on its cuts, parts of `min_cue_s` or more, no
// longest), each part past the first costing `options.dialogue_scene_change_cost`. A part keeps
// the cue's name (the later ones numbered: "Scene 2 (2)"), its characters and its target, moved
// by the difference between the arc's mean over the part and over the cue: the words set the
// level, the shots the turn; hard cuts in a part aroused enough become hits as in
// fit_cues_to_film. `placements` (may be null) gains one entry per new boundary (kept in order
// of time). Returns how many cues were added.
int split_cues_at_arc_turns(CueSheet& sheet, const FootageAnalysis& film, const FitOptions& options,
                            std::vector<BoundaryPlacement>* placements = nullptr,
                            double min_cue_s = 8.0);

// No dialogue: with an arc (shot_arc), one cue per scene of arc_scene_starts (at least
// `min_cue_s`); without, cues of about `cue_s` seconds (at least `min_cue_s`; two at least when
// the film holds two of min_cue_s), each starting on a cut (the one nearest the even split). Each
// cue's target is the picture's emotion over it; hard cuts in high-arousal cues become hits as
// above.
CueSheet picture_cues(const FootageAnalysis& film, std::uint64_t seed, const FitOptions& options,
                      const std::vector<ArcPoint>& arc = {}, double cue_s = 30.0,
                      double min_cue_s = 8.0);

// The music's gain per frame at `sample_rate` over `duration_s`: 1, and 10^(-depth_db/20) under
// every span, reached with a raised-cosine ramp of `attack_s` that ends as the span starts and
// left with one of `release_s` after it ends (spans closer than the ramps stay ducked: no
// pumping between lines).
std::vector<float> dialogue_ducking_gain(const std::vector<Caption>& spans, double duration_s,
                                         int sample_rate, double depth_db, double attack_s = 0.25,
                                         double release_s = 0.6);
// The same gain for frames [first, first + count) alone, written to `out` (count floats; frames
// past the end read 1), computed from the spans near them: a long film's gain is never held
// whole. Equal, value for value, to those frames of dialogue_ducking_gain().
void dialogue_ducking_gain_into(const std::vector<Caption>& spans, double duration_s,
                                int sample_rate, double depth_db, std::size_t first,
                                std::size_t count, float* out, double attack_s = 0.25,
                                double release_s = 0.6);

// Bends the composed tempo so each section starts exactly on its cue's start (the composer puts
// it on the downbeat within a beat of it) and each composed hit (an accent on the beat nearest
// its hit point) sounds exactly at its hit point: between two such anchors every tempo event is
// scaled by one factor, at most `max_bend` (0.08: 8%) away from 1; an anchor that would need more
// keeps the composer's time. Needs one section per cue (else nothing changes); hits are matched
// to the cue sheet's by order (only when they number the same). Section times are updated.
// Returns the largest change applied, as a fraction (0.02: 2% faster or slower).
double bend_tempo_to_cues(Score& score, const CueSheet& cues, double max_bend = 0.08);

// One row of the hit list: something the music does at a moment of the picture.
struct HitRow {
  std::string event;   // "music in", "music out", "section start", "accent", "hit" (a story hit)
  std::string detail;  // the cue's name, or what the hit marks
  double music_s = 0;  // when the music does it (the composed time: section start, beat)
  std::int64_t frame = 0;       // the picture's frame: the cut's first frame when on a cut
  std::int64_t cut_frame = -1;  // the cut it is placed on, or -1
  double error_s = 0;           // music_s minus the cut's time (0 without a cut)
};

// The section starts (the first is "music in"; a cue without music "music out", the one after it
// "music in") and the hit points of `score` against the film's cuts: an event whose cue time
// (cues.json) lies within half a frame of a cut is on that cut. Needs one section per cue; hits are
// matched to the cue sheet's by order.
std::vector<HitRow> hit_list(const FootageAnalysis& film, const CueSheet& cues, const Score& score);

// HH:MM:SS:FF of `frame` at `fps` (non-drop-frame; 29.97 counts 30 frames a second).
std::string timecode(std::int64_t frame, double fps);

// The hit list as CSV: timecode,frame,seconds,cut_frame,error_ms,event,detail (a header row,
// then one row per event; cut_frame empty when the event is not on a cut).
std::string hits_csv(const std::vector<HitRow>& rows, double fps);

// The hit list as timeline markers in a CMX 3600 edit decision list, laid out as DaVinci Resolve
// writes and reads its marker EDLs: one one-frame event per row at its frame (source and record
// timecodes the same, from 00:00:00:00, non-drop-frame), then ` |C:ResolveColor<colour> |M:<event>:
// <detail> |D:1` (green music in, blue section start, red accent, yellow hit). `title` goes in the
// TITLE line. Line breaks and `|` in the text become spaces and `/`.
std::string hits_edl(const std::vector<HitRow>& rows, double fps, const std::string& title);

// Thins the lead under dialogue (or under a song's sung lines: make --song) so no busy melody runs
// under a line: in the "melody" track, a note
// starting inside a span (or `lead_s` before it) rests unless it falls on a beat, and the notes
// kept are softened by `soften` (velocity factor); the "doubling" and "counter" tracks (a second
// line in the voice's register) rest there entirely.
// Chords, pad and bass are untouched. Returns how many notes were removed.
int thin_lead_under_dialogue(Score& score, const std::vector<Caption>& spans, double lead_s = 0.25,
                             double soften = 0.65);

}  // namespace tonepoem
