/* libFuzzer target: the network receive path from Ethernet up.  Any input
 * is one received frame; the stack must drop it or answer with well-formed
 * frames, without a sanitizer report.  `make -C tests/host fuzz-net`. */
#define MM_HOST_IMPL
#include "mm_host.h"
#define NET_HOST_IMPL
#include "net_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        net_host_init();
        ready = true;
    }
    net_host_ntx = 0;
    net_host_input(data, size);
    return 0;
}
