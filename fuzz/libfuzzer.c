/*
 * libfuzzer.c -- libFuzzer's entry point for one target: compiled once per
 * target with -DFUZZ_CHECK=fuzz_check_<name> (the Makefile's fuzz rules).
 */
#include "fuzz.h"

#ifndef FUZZ_CHECK
#error "compile with -DFUZZ_CHECK=fuzz_check_<target>"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_set_input(data, size);
    FUZZ_CHECK(data, size);
    fuzz_set_input(NULL, 0);
    return 0;
}
