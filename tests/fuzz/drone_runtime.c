/*
 * drone_runtime.c - `pipec build` of a drone-runtime file (either
 * generation; the seeds are tests/drone-runtime/): the importer, the
 * validator and the IR writer, then the IR it writes read back and built
 * again to the same bytes (fuzz_build()).
 */
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_build("pipeline.json", data, size);
}
