/* virtio constants shared by every transport and device driver (virtio 1.2
 * §2.1 device status, §6 reserved feature bits, §5 device ids, §4.1.2 PCI
 * ids).  Device-specific constants live next to their driver. */
#ifndef VIRTIO_H
#define VIRTIO_H

#include "kernel.h"

/* §2.1 Device Status Field. */
#define VIRTIO_STATUS_ACKNOWLEDGE       1   /* guest found the device */
#define VIRTIO_STATUS_DRIVER            2   /* guest knows how to drive it */
#define VIRTIO_STATUS_DRIVER_OK         4   /* driver ready */
#define VIRTIO_STATUS_FEATURES_OK       8   /* feature negotiation done */
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64 /* device hit an error */
#define VIRTIO_STATUS_FAILED            128 /* guest gave up on it */

/* §6 Reserved Feature Bits (transport / ring features). */
#define VIRTIO_F_INDIRECT_DESC          28
#define VIRTIO_F_EVENT_IDX              29
#define VIRTIO_F_VERSION_1              32
#define VIRTIO_F_ACCESS_PLATFORM        33
#define VIRTIO_F_RING_PACKED            34
#define VIRTIO_F_IN_ORDER               35
#define VIRTIO_F_ORDER_PLATFORM         36
#define VIRTIO_F_SR_IOV                 37
#define VIRTIO_F_NOTIFICATION_DATA      38
#define VIRTIO_F_NOTIF_CONFIG_DATA      39
#define VIRTIO_F_RING_RESET             40

#define VIRTIO_BIT(n)                   (1ULL << (n))

/* §5 Device Types. */
#define VIRTIO_ID_NET                   1
#define VIRTIO_ID_BLOCK                 2
#define VIRTIO_ID_GPU                   16

/* §4.1.2 PCI Device Discovery: vendor 0x1AF4; modern devices are
 * 0x1040 + device type; transitional devices (legacy interface as well)
 * are 0x1000..0x103F with the type in the subsystem device id. */
#define VIRTIO_PCI_VENDOR               0x1af4
#define VIRTIO_PCI_DEVICE_MODERN(id)    (0x1040 + (id))
#define VIRTIO_PCI_DEVICE_TRANS_FIRST   0x1000
#define VIRTIO_PCI_DEVICE_TRANS_LAST    0x103f
#define VIRTIO_PCI_DEVICE_TRANS_NET     0x1000
#define VIRTIO_PCI_DEVICE_TRANS_BLOCK   0x1001

/* §4.1.4.3 / §4.1.5.1.2: "no MSI-X vector" in config/queue_msix_vector. */
#define VIRTIO_MSI_NO_VECTOR            0xffff

/* Device drivers' entry points, called once from kmain after pci_init()
 * (and after netpoll_subsys_init() for network devices): each probes every
 * matching PCI function.  Context: thread. */
void virtio_net_init(void);     /* drivers/net/virtio_net.c */

#endif
