// Stage 2, analyze: a Document into an EmotionArc (emotion per sentence and per scene).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/emotion.h"
#include "model/emotion_arc.h"
#include "text/document.h"

namespace tonepoem {

// Word lists loaded from the data folder (core/files.h: find_data_dir), plus user lexicons.
// Loading is the slow part; build once and reuse. Chinese resources load on first Chinese use.
class Lexicons;
struct LexiconOptions {
  std::filesystem::path data_dir;                    // empty: find_data_dir()
  std::vector<std::filesystem::path> user_lexicons;  // --lexicon FILE.tsv, later ones override
  // Chinese from permissively licensed sources only (CC-CEDICT glosses scored with VADER/AFINN,
  // tonepoem's own tables) instead of the research-use lists (BosonNLP, HowNet, DUTIR). Also
  // the fallback when those lists are not installed. Lexicons::sources() says which were used.
  bool permissive_only = false;
};
std::shared_ptr<const Lexicons> load_lexicons(const LexiconOptions& options);

struct AnalyzeOptions {
  std::shared_ptr<const Lexicons> lexicons;  // required
};

// Emotion of one sentence in the given language (valence, arousal, tension, categories,
// confidence).
Emotion analyze_sentence(std::string_view sentence, Language language, const Lexicons& lexicons);

// Per sentence, then per scene (mean weighted by sentence confidence, lightly smoothed between
// neighbouring scenes so that noise does not wobble the music while real turns survive).
// The document is not changed: cutting long scenes where the story turns is the plan's work
// (plan/plan.h).
EmotionArc analyze(const Document& document, const AnalyzeOptions& options);

}  // namespace tonepoem
