// Must NOT compile: the music stage does not depend on the text stage, so text's headers are not
// on its include path (CMakeLists.txt, tonepoem_stage). Built only by the include_boundary test.
#include "text/analyze.h"

int main() { return 0; }
