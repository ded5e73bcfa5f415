/* Runs td_wire_parse_tcp and td_wire_find_tcp (what the plugin runs on every frame) over
 * one fuzz input: raw frame bytes after a two-byte little-endian offset of the TCP header;
 * the search looks for the endpoints that an IP header right before that offset names.
 * The bytes are copied to a buffer of exactly their size, so that AddressSanitizer sees any read past either end. */
#ifndef FUZZ_CHECK_WIRE_H
#define FUZZ_CHECK_WIRE_H

#include <stddef.h>
#include <stdint.h>

void check_wire_input(const uint8_t *data, size_t size);

#endif
