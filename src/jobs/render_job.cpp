#include "jobs/render_job.h"

#include <fmt/format.h>

#include "music/midi.h"

namespace tonepoem {

std::optional<AudioFileFormat> RenderJobOptions::resolved_format() const {
  return format ? format : audio_format_for(output_name);
}

OptionProblems RenderJobOptions::validate() const {
  OptionProblems problems;
  if (midi.empty()) problems.push_back({"midi", "give the MIDI file to render"});
  if (output_name.empty())
    problems.push_back({"output_name", "give the audio file to write"});
  else if (!resolved_format())
    problems.push_back(
        {"format", fmt::format("cannot tell the format from '{}': name the file .wav, .flac, "
                               ".ogg, .mp3, .m4a or .opus, or give a format (wav16, wav24, "
                               "wav-float, flac16, flac24, ogg, mp3, m4a, opus)",
                               output_name)});
  if (!(loudness_lufs >= -40 && loudness_lufs <= -5))
    problems.push_back(
        {"loudness", fmt::format("{} is out of range; accepts -40 to -5 LUFS", loudness_lufs)});
  return problems;
}

RenderJobResult run_render(const RenderJobOptions& options, JobContext& context) {
  throw_if_invalid(options.validate());
  context.outputs().check_writable();
  RenderJobResult result;
  result.format = *options.resolved_format();
  SynthOptions synth;
  synth.soundfont = find_soundfont(options.soundfont);
  const Score score = load_midi(options.midi);
  synth.section_fx = section_fx_for(score);
  const CancelToken& cancel = context.cancel();
  AudioBuffer audio = synthesize(score, synth, context.stage("synthesize"), cancel);
  context.stage("master");
  MasterOptions mastering;
  mastering.target_lufs = options.loudness_lufs;
  result.loudness = master(audio, mastering, cancel);
  context.stage("write");
  write_audio(audio, context.outputs().path_for(options.output_name), result.format,
              {.title = options.title.empty() ? score.title : options.title,
               .artist = options.artist,
               .comment = "rendered by tonepoem from " + options.midi.filename().string()},
              cancel);
  context.outputs().written(options.output_name);
  context.finish_stage();
  result.duration_s = audio.duration_s();
  return result;
}

}  // namespace tonepoem
