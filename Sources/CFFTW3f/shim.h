#pragma once
#include <fftw3.h>
// `extern const char fftwf_version[]` is an unsized array, which Swift cannot import.
static inline const char *cfftw3f_version(void) { return fftwf_version; }
