/* Network commands of the kernel monitor (kernel/kmon_net.c), called by
 * kernel/kmon.c with the text after the command word.  Each prints exactly
 * one result line (see kmon.c for the formats), errors included. */
#ifndef KMON_NET_H
#define KMON_NET_H

/* Longest command line the monitor accepts (URLs need the room). */
#define KMON_LINE_MAX   160

void kmon_wget(const char *args);
void kmon_wgetbench(const char *args);
void kmon_tcpecho(const char *args);
void kmon_tcplisten(const char *args);
void kmon_resolvebench(const char *args);
void kmon_ping(const char *args);

#endif
