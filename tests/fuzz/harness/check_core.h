/* Feeds one fuzz input (records.h) through the detector and checks every answer; any
 * broken invariant aborts with a message naming the frame. */
#ifndef FUZZ_CHECK_CORE_H
#define FUZZ_CHECK_CORE_H

#include <stddef.h>
#include <stdint.h>

void check_core_input(const uint8_t *data, size_t size);

#endif
