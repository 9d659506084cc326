// Must NOT compile: video/painter.h is one of the video stage's private headers; the jobs stage
// sees video/video.h only. Built only by the include_boundary test.
#include "video/painter.h"

int main() { return 0; }
