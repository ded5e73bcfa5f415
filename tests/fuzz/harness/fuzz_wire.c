/* libFuzzer entry: the raw header parsers over hostile bytes (check_wire.h). */
#include <stddef.h>
#include <stdint.h>

#include "check_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_wire_input(data, size);
    return 0;
}
