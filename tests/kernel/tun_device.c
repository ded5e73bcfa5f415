#define _DEFAULT_SOURCE
#include "tun_device.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static bool fill_name(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof *ifr);
    if (strlen(name) >= sizeof ifr->ifr_name) {
        fprintf(stderr, "teardown-kernel: interface name too long: %s\n", name);
        return false;
    }
    strcpy(ifr->ifr_name, name);
    return true;
}

int tun_attach(const char *name)
{
    struct ifreq ifr;
    if (!fill_name(&ifr, name))
        return -1;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "teardown-kernel: cannot open /dev/net/tun: %s\n", strerror(errno));
        return -1;
    }
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "teardown-kernel: cannot attach to TUN device %s: %s\n", name,
                strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static bool running(int sock, const char *name, bool *ok)
{
    struct ifreq ifr;
    *ok = false;
    if (!fill_name(&ifr, name))
        return false;
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
        fprintf(stderr, "teardown-kernel: cannot read the flags of %s: %s\n", name,
                strerror(errno));
        return false;
    }
    *ok = true;
    return (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
}

bool tun_wait_running(const char *name, int timeout_ms)
{
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        fprintf(stderr, "teardown-kernel: socket: %s\n", strerror(errno));
        return false;
    }
    const struct timespec tick = {0, 10 * 1000 * 1000};
    bool ok = true;
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        if (running(sock, name, &ok) || !ok)
            break;
        nanosleep(&tick, NULL);
    }
    bool up = ok && running(sock, name, &ok);
    close(sock);
    if (ok && !up)
        fprintf(stderr, "teardown-kernel: %s is not up and running after %d ms "
                        "(is the link set up?)\n", name, timeout_ms);
    return up;
}
