// aubio's objects held by unique_ptr, freed by their own destructors. Private to the stage.
#pragma once

#include <aubio/aubio.h>

#include <memory>

namespace tonepoem {

struct AubioDeleter {
  void operator()(aubio_tempo_t* p) const { del_aubio_tempo(p); }
  void operator()(aubio_pitch_t* p) const { del_aubio_pitch(p); }
  void operator()(aubio_onset_t* p) const { del_aubio_onset(p); }
  void operator()(aubio_fft_t* p) const { del_aubio_fft(p); }
  void operator()(fvec_t* p) const { del_fvec(p); }
  void operator()(cvec_t* p) const { del_cvec(p); }
};
template <typename T>
using AubioPtr = std::unique_ptr<T, AubioDeleter>;

}  // namespace tonepoem
