/* One-process network client for the Linux guest of `make bench-net`
 * (tests/bench/net.py): the figures busybox would give are dominated by its
 * process start-up (shared/benchmarks/linux-anchor.md), so the lookups and
 * fetches run in a loop inside this one static program.  Built at bench
 * time against Debian's musl for arm64 and put in the Linux initramfs.
 *
 *   guest_client dns  <server-ip> <name> <count>
 *       count lookups, each: socket, sendto (a raw DNS A query), poll,
 *       recv, close.  Prints
 *       "dns n <count> ok <k> mean_us <m> median_us <md> addr <a.b.c.d>"
 *   guest_client http <ip> <port> <host> <path> <count>
 *       count HTTP/1.0 GETs, a new TCP connection each, reading to EOF.
 *       "http n <count> ok <k> mean_us <m> median_us <md> bytes <b>"
 *   guest_client bulk <ip> <port> <host> <path> [sha]
 *       one GET; with "sha" the body's SHA-256 is computed while reading.
 *       "bulk status <code> bytes <n> us <t> sha256 <hex|->"
 * A failure prints "<cmd> error <what> <errno>" and exits 1. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "sha256.h"

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void summary(uint64_t *t, int n, uint64_t *mean, uint64_t *median)
{
    uint64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += t[i];
    qsort(t, (size_t)n, sizeof(*t), cmp_u64);
    *mean = n ? sum / (uint64_t)n : 0;
    *median = !n ? 0 : (n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2);
}

/* SHA-256: the kernel's own lib/sha256.c (it uses nothing from the
 * kernel), so both guests hash with the same code. */

/* ---- DNS ---- */

static size_t dns_query(uint8_t *q, uint16_t id, const char *name)
{
    size_t n = 0;
    uint8_t hdr[12] = { id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
    memcpy(q, hdr, 12);
    n = 12;
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t len = dot ? (size_t)(dot - name) : strlen(name);
        q[n++] = (uint8_t)len;
        memcpy(q + n, name, len);
        n += len;
        name += len + (dot ? 1 : 0);
    }
    q[n++] = 0;
    q[n++] = 0; q[n++] = 1;     /* QTYPE A */
    q[n++] = 0; q[n++] = 1;     /* QCLASS IN */
    return n;
}

/* Skips a (possibly compressed) name; -1 if malformed. */
static long skip_name(const uint8_t *m, size_t len, size_t off)
{
    while (off < len) {
        uint8_t l = m[off];
        if ((l & 0xc0) == 0xc0)
            return off + 2 <= len ? (long)(off + 2) : -1;
        if (l == 0)
            return (long)(off + 1);
        off += 1u + l;
    }
    return -1;
}

/* The first A record of the answer, or 0. */
static uint32_t dns_answer(const uint8_t *m, size_t len, uint16_t id)
{
    if (len < 12 || (m[0] << 8 | m[1]) != id || (m[3] & 0x0f) != 0)
        return 0;
    unsigned qd = m[4] << 8 | m[5], an = m[6] << 8 | m[7];
    long off = 12;
    for (unsigned i = 0; i < qd && off >= 0; i++) {
        off = skip_name(m, len, (size_t)off);
        off = off < 0 ? -1 : off + 4;
    }
    for (unsigned i = 0; i < an && off >= 0; i++) {
        off = skip_name(m, len, (size_t)off);
        if (off < 0 || (size_t)off + 10 > len)
            return 0;
        unsigned type = m[off] << 8 | m[off + 1];
        unsigned rdlen = m[off + 8] << 8 | m[off + 9];
        off += 10;
        if ((size_t)off + rdlen > len)
            return 0;
        if (type == 1 && rdlen == 4) {
            uint32_t a;
            memcpy(&a, m + off, 4);
            return a;
        }
        off += rdlen;
    }
    return 0;
}

static int cmd_dns(const char *server, const char *name, int count)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
    uint64_t *t = calloc((size_t)count, sizeof(*t));
    uint8_t q[512], r[1500];
    uint32_t addr = 0;
    int ok = 0;

    if (!t || inet_pton(AF_INET, server, &sa.sin_addr) != 1) {
        printf("dns error args %d\n", EINVAL);
        return 1;
    }
    for (int i = 0; i < count; i++) {
        uint16_t id = (uint16_t)(0x1000 + i);
        size_t qlen = dns_query(q, id, name);
        uint64_t t0 = now_us();
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        if (s < 0) {
            printf("dns error socket %d\n", errno);
            return 1;
        }
        if (sendto(s, q, qlen, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            printf("dns error sendto %d\n", errno);
            return 1;
        }
        struct pollfd p = { .fd = s, .events = POLLIN };
        ssize_t n = -1;
        if (poll(&p, 1, 2000) == 1)
            n = recv(s, r, sizeof(r), 0);
        close(s);
        t[i] = now_us() - t0;
        uint32_t a = n > 0 ? dns_answer(r, (size_t)n, id) : 0;
        if (a) {
            ok++;
            addr = a;
        }
    }
    uint64_t mean, median;
    summary(t, count, &mean, &median);
    char buf[INET_ADDRSTRLEN] = "-";
    if (addr)
        inet_ntop(AF_INET, &addr, buf, sizeof(buf));
    printf("dns n %d ok %d mean_us %llu median_us %llu addr %s\n", count, ok,
           (unsigned long long)mean, (unsigned long long)median, buf);
    return ok == count ? 0 : 1;
}

/* ---- HTTP ---- */

/* One GET.  Returns the body length (-1 on error), *status the HTTP code. */
static long http_get(const struct sockaddr_in *sa, const char *host,
                     const char *path, int *status, struct sha256_ctx *sha,
                     const char **err)
{
    static uint8_t buf[256 * 1024];
    char req[512];
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {
        *err = "socket";
        return -1;
    }
    if (connect(s, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
        *err = "connect";
        close(s);
        return -1;
    }
    int len = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n"
                       "User-Agent: guest_client\r\nConnection: close\r\n\r\n",
                       path, host);
    if (write(s, req, (size_t)len) != len) {
        *err = "write";
        close(s);
        return -1;
    }
    size_t have = 0;
    long body = -1, content_length = -1;
    *status = 0;
    for (;;) {
        ssize_t n = read(s, buf + (body < 0 ? have : 0),
                         body < 0 ? sizeof(buf) - have - 1 : sizeof(buf));
        if (n < 0) {
            *err = "read";
            close(s);
            return -1;
        }
        if (n == 0)
            break;
        if (body >= 0) {
            body += n;
            if (sha)
                sha256_update(sha, buf, (size_t)n);
            continue;
        }
        have += (size_t)n;
        buf[have] = 0;
        char *end = strstr((char *)buf, "\r\n\r\n");
        if (!end) {
            if (have >= sizeof(buf) - 1) {
                *err = "header";
                close(s);
                return -1;
            }
            continue;
        }
        *status = atoi((char *)buf + 9);
        char *cl = strcasestr((char *)buf, "\r\ncontent-length:");
        if (cl && cl < end)
            content_length = atol(cl + 17);
        size_t hdr = (size_t)(end + 4 - (char *)buf);
        body = (long)(have - hdr);
        if (sha)
            sha256_update(sha, buf + hdr, have - hdr);
    }
    close(s);
    if (body < 0) {
        *err = "eof-in-header";
        return -1;
    }
    if (content_length >= 0 && body != content_length) {
        *err = "short-body";
        return -1;
    }
    return body;
}

static int parse_addr(const char *ip, const char *port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)atoi(port));
    return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

static int cmd_http(char **av, int count)
{
    struct sockaddr_in sa;
    uint64_t *t = calloc((size_t)count, sizeof(*t));
    long bytes = 0;
    int ok = 0;
    const char *err = "";

    if (!t || parse_addr(av[0], av[1], &sa)) {
        printf("http error args %d\n", EINVAL);
        return 1;
    }
    for (int i = 0; i < count; i++) {
        int status;
        uint64_t t0 = now_us();
        long n = http_get(&sa, av[2], av[3], &status, NULL, &err);
        t[i] = now_us() - t0;
        if (n < 0) {
            printf("http error %s %d\n", err, errno);
            return 1;
        }
        if (status == 200) {
            ok++;
            bytes = n;
        }
    }
    uint64_t mean, median;
    summary(t, count, &mean, &median);
    printf("http n %d ok %d mean_us %llu median_us %llu bytes %ld\n", count, ok,
           (unsigned long long)mean, (unsigned long long)median, bytes);
    return ok == count ? 0 : 1;
}

static int cmd_bulk(char **av, int with_sha)
{
    struct sockaddr_in sa;
    struct sha256_ctx sha;
    const char *err = "";
    int status;
    char hex[SHA256_HEX_SIZE] = "-";

    if (parse_addr(av[0], av[1], &sa)) {
        printf("bulk error args %d\n", EINVAL);
        return 1;
    }
    sha256_init(&sha);
    uint64_t t0 = now_us();
    long n = http_get(&sa, av[2], av[3], &status, with_sha ? &sha : NULL, &err);
    uint64_t us = now_us() - t0;
    if (n < 0) {
        printf("bulk error %s %d\n", err, errno);
        return 1;
    }
    if (with_sha) {
        uint8_t digest[SHA256_DIGEST_SIZE];
        sha256_final(&sha, digest);
        sha256_hex(digest, hex);
    }
    printf("bulk status %d bytes %ld us %llu sha256 %s\n", status, n,
           (unsigned long long)us, hex);
    return status == 200 ? 0 : 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 5 && strcmp(argv[1], "dns") == 0)
        return cmd_dns(argv[2], argv[3], atoi(argv[4]));
    if (argc == 7 && strcmp(argv[1], "http") == 0)
        return cmd_http(argv + 2, atoi(argv[6]));
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "bulk") == 0)
        return cmd_bulk(argv + 2, argc == 7 && strcmp(argv[6], "sha") == 0);
    fprintf(stderr, "usage: guest_client dns <server> <name> <count> | "
            "http <ip> <port> <host> <path> <count> | "
            "bulk <ip> <port> <host> <path> [sha]\n");
    return 2;
}
