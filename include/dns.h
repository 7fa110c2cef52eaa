/* DNS stub resolver (RFC 1035): A records, CNAME chains, retries, a small
 * TTL cache.  The answer parser is separate so it can be tested with
 * hostile packets. */
#ifndef DNS_H
#define DNS_H

#include "kernel.h"
#include "net.h"

#define DNS_NAME_MAX    255

/* 0 and *addr, or -ENOENT (NXDOMAIN or no A record), -ETIMEDOUT (no
 * answer after the retries), -EINVAL (bad name), -EIO (malformed or
 * failed answer). */
int dns_resolve(const char *name, in_addr_t *addr);
/* The same, always asking the server (the cache is not consulted, but the
 * answer is stored); for measuring lookups. */
int dns_resolve_nocache(const char *name, in_addr_t *addr);

/* Parses a response to query `id` for `name`: follows CNAMEs within the
 * answer section.  Returns 0 with *addr and *ttl, or -ENOENT / -EIO. */
int dns_parse_response(const uint8_t *msg, size_t len, uint16_t id,
                       const char *name, in_addr_t *addr, uint32_t *ttl);
/* Builds a query; returns its length or -EINVAL. */
int dns_build_query(uint8_t *buf, size_t size, uint16_t id, const char *name);

#endif
