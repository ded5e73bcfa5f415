/* The userspace end of a TUN device that the kernel side routes to: raw IPv4 packets in
 * both directions, no packet-information header. */
#ifndef KERNEL_TUN_DEVICE_H
#define KERNEL_TUN_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

/* Attaches to the existing TUN device name (created with IFF_TUN|IFF_NO_PI, e.g. by
 * `ip tuntap add mode tun`). Returns the descriptor, or -1 with a message on stderr. */
int tun_attach(const char *name);

/* Waits until the device is up and has carrier, so the first segment is not dropped.
 * False, with a message on stderr, if that takes longer than timeout_ms. */
bool tun_wait_running(const char *name, int timeout_ms);

#endif
