/* libFuzzer entry: the detector over a stream of segments (records.h). */
#include <stddef.h>
#include <stdint.h>

#include "check_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_core_input(data, size);
    return 0;
}
