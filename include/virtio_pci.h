/* virtio 1.x over PCI, the modern interface (virtio 1.2 §4.1): vendor
 * capabilities locating the common configuration, notification, ISR and
 * device configuration structures in the BARs; the status handshake and
 * feature negotiation (§3.1.1); queue setup (§4.1.5.1.3); interrupt vectors
 * with the Linux vp_find_vqs ladder
 *     MSI-X, one vector per queue + config
 *  -> MSI-X, config + one vector shared by all queues
 *  -> one INTx line (or plain MSI), the ISR register says why
 *  -> polling (no interrupt at all),
 * each rung limited by what the caller allows (kernel argument, say).
 * Shared by every virtio device driver (net now, blk and gpu later): nothing
 * here knows what kind of device it drives.
 *
 * Interrupts: the transport registers the handlers.  A queue vector's
 * handler calls vq_interrupt() (which calls the queue's callback); the
 * config vector's calls vd->config_changed.  All vectors start masked:
 * the driver unmasks them when it is ready ("deferred SPI enable"), and may
 * mask a queue's vector while its bottom half runs (virtio_pci_vq_irq_mask);
 * a vector shared by several queues stays masked while any of them holds it.
 */
#ifndef VIRTIO_PCI_H
#define VIRTIO_PCI_H

#include "kernel.h"
#include "pci.h"
#include "spinlock.h"
#include "virtio.h"
#include "virtqueue.h"

/* "00:02.0" (the same as drivers/pci's private macro; pci.h could own it) */
#ifndef PCI_BDF_FMT
#define PCI_BDF_FMT             "%02x:%02x.%x"
#define PCI_BDF(d)              (d)->bus, (d)->dev, (d)->fn
#endif

#define VIRTIO_PCI_MAX_VQS      8
#define VIRTIO_PCI_MAX_VECS     (VIRTIO_PCI_MAX_VQS + 1)
#define VIRTIO_PCI_VQ_MAX_SIZE  1024    /* we cap what the device offers */

enum virtio_irq_mode {
    VIRTIO_IRQ_NONE,            /* queues not set up yet */
    VIRTIO_IRQ_MSIX_PER_VQ,     /* vector 0 config, 1.. one per queue */
    VIRTIO_IRQ_MSIX_SHARED,     /* vector 0 config, 1 all queues */
    VIRTIO_IRQ_LINE,            /* one INTx line or MSI: read the ISR */
    VIRTIO_IRQ_POLL,            /* no interrupts: the driver polls */
};

/* What the driver wants for one queue. */
struct virtio_vq_desc {
    const char *name;
    void (*callback)(struct virtqueue *vq);   /* hard IRQ; NULL: none */
    unsigned max_size;          /* 0: the device's size (capped) */
    void *priv;                 /* becomes vq->priv */
};

struct virtio_pci_vq {
    struct virtqueue *vq;
    volatile uint16_t *notify;  /* where to write the queue index */
    int vec;                    /* vector index, -1 if none */
};

struct virtio_pci_dev {
    struct pci_dev *pci;
    const char *name;

    /* The structures the capabilities point at (§4.1.4). */
    volatile uint8_t *common;
    volatile uint8_t *isr;
    volatile uint8_t *device;   /* device-specific configuration */
    volatile uint8_t *notify_base;
    uint32_t notify_mult;       /* notify_off_multiplier */
    uint32_t notify_len, device_len;

    uint64_t device_features;   /* offered */
    uint64_t features;          /* negotiated */
    uint16_t num_queues;        /* the device's count */

    /* Protects queue_select and the queue registers it selects, and the
     * other read-modify-write sequences on the common configuration.
     * Thread context only (probe, setup, tests); IRQ-saving anyway. */
    struct spinlock cfg_lock;

    enum virtio_irq_mode mode;
    unsigned nvqs;
    struct virtio_pci_vq vqs[VIRTIO_PCI_MAX_VQS];
    unsigned nvec;              /* vectors in use */
    char vec_name[VIRTIO_PCI_MAX_VECS][24];

    /* vec_hold[v]: who keeps vector v masked, a bit per queue plus
     * VIRTIO_PCI_HOLD_CONFIG; the vector is unmasked when it drops to 0.
     * Protected by vec_lock, taken from hard IRQ (a handler masking its
     * vector), softirq (a poll unmasking) and thread context: IRQ-saving. */
    struct spinlock vec_lock;
    uint32_t vec_hold[VIRTIO_PCI_MAX_VECS];

    /* Counters, per vector (hard IRQ context writes them). */
    uint64_t vec_irqs[VIRTIO_PCI_MAX_VECS];
    uint64_t vec_none[VIRTIO_PCI_MAX_VECS];  /* nothing to do: not ours */
    uint64_t config_irqs;       /* configuration changes signalled */

    /* Called from hard IRQ context on a configuration change. */
    void (*config_changed)(struct virtio_pci_dev *vd);
    void *priv;                 /* the device driver's */
};

#define VIRTIO_PCI_HOLD_CONFIG  (1u << 31)

/* Finds the capabilities, refuses a legacy-only device, resets it and sets
 * ACKNOWLEDGE | DRIVER.  0, -ENODEV (not a usable virtio 1.x device) or
 * -EIO.  Logs why.  Context: thread. */
int virtio_pci_probe(struct virtio_pci_dev *vd, struct pci_dev *pci,
                     const char *name);
/* Offers `wanted` & the device's features (+ VIRTIO_F_VERSION_1, required),
 * sets FEATURES_OK and reads it back.  On refusal logs "device rejected
 * features", sets FAILED and returns -EIO; -ENODEV without VERSION_1. */
int virtio_pci_negotiate(struct virtio_pci_dev *vd, uint64_t wanted);

static inline bool virtio_has_feature(const struct virtio_pci_dev *vd,
                                      unsigned bit)
{
    return (vd->features & VIRTIO_BIT(bit)) != 0;
}

/* Creates n queues (0..n-1) and their interrupt vectors, down the ladder
 * from the best mode in `allowed` (PCI_IRQ_ALLOW_* bits: MSIX allows both
 * MSI-X rungs, MSI and INTX the line rung, POLL the last).  Queues are
 * enabled, vectors registered but masked.  0 or a negative errno (-ENOENT:
 * a queue the device does not have, i.e. size 0).  Context: thread. */
int virtio_pci_find_vqs(struct virtio_pci_dev *vd, unsigned n,
                        const struct virtio_vq_desc *desc,
                        struct virtqueue **vqs, unsigned allowed);
void virtio_pci_driver_ok(struct virtio_pci_dev *vd);
/* Sets FAILED (§3.1.1: the driver gave up).  Context: thread. */
void virtio_pci_fail(struct virtio_pci_dev *vd);
/* Writes 0 to device_status and waits (up to 1 s) for it to read back 0:
 * the device drops its queues and vectors.  0 or -EIO. */
int virtio_pci_reset(struct virtio_pci_dev *vd);
/* Resets the device, unregisters and frees vectors, frees the queues. */
void virtio_pci_teardown(struct virtio_pci_dev *vd);
uint8_t virtio_pci_status(struct virtio_pci_dev *vd);

/* Device configuration, natural-width reads (§4.1.3.1); wrap multi-field
 * reads in a config_generation loop (§2.5.1). */
uint8_t virtio_pci_cfg_read8(struct virtio_pci_dev *vd, unsigned off);
uint16_t virtio_pci_cfg_read16(struct virtio_pci_dev *vd, unsigned off);
uint32_t virtio_pci_cfg_read32(struct virtio_pci_dev *vd, unsigned off);
uint8_t virtio_pci_cfg_generation(struct virtio_pci_dev *vd);

/* The queue size the device reports for queue `index` (0: no such queue).
 * Context: thread. */
unsigned virtio_pci_queue_size(struct virtio_pci_dev *vd, unsigned index);

/* Keep vq's vector masked / let it go (see the file comment).  No-ops in
 * poll mode and for queues without a vector.  Context: any. */
void virtio_pci_vq_irq_mask(struct virtio_pci_dev *vd, struct virtqueue *vq);
void virtio_pci_vq_irq_unmask(struct virtio_pci_dev *vd, struct virtqueue *vq);
void virtio_pci_config_irq_unmask(struct virtio_pci_dev *vd);
/* The vector (index) of a queue, -1 if none. */
int virtio_pci_vq_vector(struct virtio_pci_dev *vd, struct virtqueue *vq);

const char *virtio_irq_mode_name(enum virtio_irq_mode m);
/* Mode, vectors (INTID, purpose, count, not-ours). */
void virtio_pci_dump(struct virtio_pci_dev *vd);

#endif
