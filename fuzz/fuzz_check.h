/* The invariant check of the libFuzzer harnesses: a failed invariant
 * prints itself and aborts, which libFuzzer reports as a crash. */
#ifndef SMARTREST_FUZZ_CHECK_H
#define SMARTREST_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                          \
        }                                                                     \
    } while (0)

#endif
