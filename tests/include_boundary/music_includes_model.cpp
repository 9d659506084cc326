// Must compile: the control for the include_boundary tests (a stage sees the model layer and its
// own headers), so that their failures show the boundary and not a broken probe.
#include "model/score.h"
#include "music/compose.h"

int main() { return tonepoem::Score{}.ppq == 480 ? 0 : 1; }
