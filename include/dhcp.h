/* DHCP client (net/dhcp.c). */
#ifndef DHCP_H
#define DHCP_H

#include "net.h"

struct dhcp_stats {
    uint64_t rx, tx, drop_bad, leases, renewals;
};
extern struct dhcp_stats dhcp_stats;

void dhcp_start(void);
/* From udp_input, for datagrams to port 68 (also before we have an
 * address).  udp points at the UDP header; len includes it. */
void dhcp_input(const struct ipv4_hdr *ip, const uint8_t *udp, size_t len);

#endif
