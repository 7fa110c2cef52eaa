/* virtio 1.x PCI transport, modern interface only (virtio 1.2 §4.1): the
 * capability walk (§4.1.4), the status handshake with feature negotiation
 * (§3.1.1), device configuration reads and the counter dump.  Queues and
 * interrupt vectors are in virtio_pci_vqs.c.  Context: thread (probe). */
#include "virtio_pci_regs.h"
#include "printk.h"
#include "time.h"

#define VIRTIO_RESET_TIMEOUT_NS     (1000 * NSEC_PER_MSEC)

static const char *const mode_names[] = {
    [VIRTIO_IRQ_NONE] = "none",
    [VIRTIO_IRQ_MSIX_PER_VQ] = "msix (per-queue vectors)",
    [VIRTIO_IRQ_MSIX_SHARED] = "msix (shared queue vector)",
    [VIRTIO_IRQ_LINE] = "line (INTx/MSI + ISR)",
    [VIRTIO_IRQ_POLL] = "poll",
};

const char *virtio_irq_mode_name(enum virtio_irq_mode m)
{
    return (unsigned)m < ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

uint8_t virtio_pci_status(struct virtio_pci_dev *vd)
{
    return cc_read8(vd, VIRTIO_PCI_COMMON_STATUS);
}

static void vp_set_status(struct virtio_pci_dev *vd, uint8_t bits)
{
    cc_write8(vd, VIRTIO_PCI_COMMON_STATUS, virtio_pci_status(vd) | bits);
}

/* §4.1.4.3.2: write 0, then wait until the device reads back 0. */
int virtio_pci_reset(struct virtio_pci_dev *vd)
{
    uint64_t deadline = time_ns() + VIRTIO_RESET_TIMEOUT_NS;

    cc_write8(vd, VIRTIO_PCI_COMMON_STATUS, 0);
    while (virtio_pci_status(vd) != 0) {
        if (time_ns() > deadline) {
            klog("virtio %s: reset did not complete (status %#x)", vd->name,
                 virtio_pci_status(vd));
            return -EIO;
        }
    }
    return 0;
}

void virtio_pci_fail(struct virtio_pci_dev *vd)
{
    vp_set_status(vd, VIRTIO_STATUS_FAILED);
}

void virtio_pci_driver_ok(struct virtio_pci_dev *vd)
{
    vp_set_status(vd, VIRTIO_STATUS_DRIVER_OK);
}

/* ---- device configuration ---- */

uint8_t virtio_pci_cfg_read8(struct virtio_pci_dev *vd, unsigned off)
{
    return off + 1 <= vd->device_len ? mmio_read8(vd->device + off) : 0;
}

uint16_t virtio_pci_cfg_read16(struct virtio_pci_dev *vd, unsigned off)
{
    return off + 2 <= vd->device_len ? mmio_read16(vd->device + off) : 0;
}

uint32_t virtio_pci_cfg_read32(struct virtio_pci_dev *vd, unsigned off)
{
    return off + 4 <= vd->device_len ? mmio_read32(vd->device + off) : 0;
}

uint8_t virtio_pci_cfg_generation(struct virtio_pci_dev *vd)
{
    return cc_read8(vd, VIRTIO_PCI_COMMON_CFGGEN);
}

/* ---- capabilities (§4.1.4) ---- */

/* Maps the structure a capability describes; NULL (with a log line) if the
 * BAR is unusable or the structure does not fit in it. */
static volatile uint8_t *vp_map_cap(struct virtio_pci_dev *vd, unsigned cap,
                                    uint32_t min_len, uint32_t *len_out)
{
    struct pci_dev *d = vd->pci;
    uint8_t bar = pci_cfg_read8(d, cap + VIRTIO_PCI_CAP_BAR);
    uint32_t off = pci_cfg_read32(d, cap + VIRTIO_PCI_CAP_OFFSET);
    uint32_t len = pci_cfg_read32(d, cap + VIRTIO_PCI_CAP_LENGTH);
    uint8_t type = pci_cfg_read8(d, cap + VIRTIO_PCI_CAP_CFG_TYPE);

    if (bar >= PCI_MAX_BARS) {
        klog("virtio %s: capability type %u names BAR %u", vd->name, type,
             bar);
        return NULL;
    }
    if (len < min_len || (uint64_t)off + len > d->bar[bar].size) {
        klog("virtio %s: capability type %u: %#x+%#x outside BAR%u (%#lx) "
             "or shorter than %#x", vd->name, type, off, len, bar,
             (unsigned long)d->bar[bar].size, min_len);
        return NULL;
    }
    uint8_t *base = pci_bar_map(d, bar);
    if (!base) {
        klog("virtio %s: capability type %u: BAR%u is not mapped", vd->name,
             type, bar);
        return NULL;
    }
    if (len_out)
        *len_out = len;
    return base + off;
}

static int vp_find_caps(struct virtio_pci_dev *vd)
{
    struct pci_dev *d = vd->pci;
    unsigned cap = 0;

    for (unsigned n = 0; n < PCI_CAP_LIST_MAX; n++) {
        cap = pci_find_cap(d, PCI_CAP_VENDOR, cap);
        if (!cap)
            break;
        uint8_t type = pci_cfg_read8(d, cap + VIRTIO_PCI_CAP_CFG_TYPE);
        uint8_t caplen = pci_cfg_read8(d, cap + VIRTIO_PCI_CAP_LEN);
        if (caplen < VIRTIO_PCI_CAP_SIZE)
            continue;
        /* The first usable instance of each type wins (§4.1.4). */
        switch (type) {
        case VIRTIO_PCI_CAP_COMMON_CFG:
            if (!vd->common)
                vd->common = vp_map_cap(vd, cap, VIRTIO_PCI_COMMON_MIN_LEN,
                                        NULL);
            break;
        case VIRTIO_PCI_CAP_NOTIFY_CFG:
            if (vd->notify_base || caplen < VIRTIO_PCI_NOTIFY_CAP_SIZE)
                break;
            vd->notify_base = vp_map_cap(vd, cap, 2, &vd->notify_len);
            vd->notify_mult = pci_cfg_read32(d, cap +
                                             VIRTIO_PCI_NOTIFY_CAP_MULT);
            break;
        case VIRTIO_PCI_CAP_ISR_CFG:
            if (!vd->isr)
                vd->isr = vp_map_cap(vd, cap, 1, NULL);
            break;
        case VIRTIO_PCI_CAP_DEVICE_CFG:
            if (!vd->device)
                vd->device = vp_map_cap(vd, cap, 1, &vd->device_len);
            break;
        default:    /* PCI cfg access, shared memory, vendor: not used */
            break;
        }
    }
    if (!vd->common || !vd->notify_base || !vd->isr)
        return -ENODEV;
    return 0;
}

int virtio_pci_probe(struct virtio_pci_dev *vd, struct pci_dev *pci,
                     const char *name)
{
    spin_init(&vd->cfg_lock, "virtio-cfg");
    spin_init(&vd->vec_lock, "virtio-vec");
    vd->pci = pci;
    vd->name = name;
    vd->mode = VIRTIO_IRQ_NONE;

    if (pci->vendor != VIRTIO_PCI_VENDOR)
        return -ENODEV;
    if (vp_find_caps(vd)) {
        bool transitional = pci->device >= VIRTIO_PCI_DEVICE_TRANS_FIRST &&
                            pci->device <= VIRTIO_PCI_DEVICE_TRANS_LAST;
        if (transitional && !vd->common)
            klog("virtio %s: " PCI_BDF_FMT " %04x:%04x is a legacy-only "
                 "device (no virtio 1.x capabilities): not supported, "
                 "refused", name, pci->bus, pci->dev, pci->fn, pci->vendor,
                 pci->device);
        else
            klog("virtio %s: " PCI_BDF_FMT ": virtio 1.x capabilities "
                 "missing or unusable (common %s, notify %s, isr %s): "
                 "refused", name, pci->bus, pci->dev, pci->fn,
                 vd->common ? "ok" : "no", vd->notify_base ? "ok" : "no",
                 vd->isr ? "ok" : "no");
        return -ENODEV;
    }
    vd->num_queues = cc_read16(vd, VIRTIO_PCI_COMMON_NUMQ);

    /* §3.1.1 steps 1-3: reset, ACKNOWLEDGE, DRIVER. */
    if (virtio_pci_reset(vd))
        return -EIO;
    vp_set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
    vp_set_status(vd, VIRTIO_STATUS_DRIVER);
    return 0;
}

int virtio_pci_negotiate(struct virtio_pci_dev *vd, uint64_t wanted)
{
    uint64_t dev;

    /* §3.1.1 step 4: read the device's features (two 32-bit windows). */
    cc_write32(vd, VIRTIO_PCI_COMMON_DFSELECT, 0);
    dev = cc_read32(vd, VIRTIO_PCI_COMMON_DF);
    cc_write32(vd, VIRTIO_PCI_COMMON_DFSELECT, 1);
    dev |= (uint64_t)cc_read32(vd, VIRTIO_PCI_COMMON_DF) << 32;
    vd->device_features = dev;

    if (!(dev & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
        klog("virtio %s: device does not offer VIRTIO_F_VERSION_1 "
             "(features %#lx): legacy-only, refused", vd->name,
             (unsigned long)dev);
        virtio_pci_fail(vd);
        return -ENODEV;
    }
    uint64_t accept = (wanted & dev) | VIRTIO_BIT(VIRTIO_F_VERSION_1);
    cc_write32(vd, VIRTIO_PCI_COMMON_GFSELECT, 0);
    cc_write32(vd, VIRTIO_PCI_COMMON_GF, (uint32_t)accept);
    cc_write32(vd, VIRTIO_PCI_COMMON_GFSELECT, 1);
    cc_write32(vd, VIRTIO_PCI_COMMON_GF, (uint32_t)(accept >> 32));

    /* Steps 5-6: FEATURES_OK, then read it back: a device that cannot work
     * with this subset clears it (§3.1.1 step 6). */
    vp_set_status(vd, VIRTIO_STATUS_FEATURES_OK);
    if (!(virtio_pci_status(vd) & VIRTIO_STATUS_FEATURES_OK)) {
        klog("virtio %s: device rejected features %#lx (offered %#lx): "
             "status FAILED", vd->name, (unsigned long)accept,
             (unsigned long)dev);
        virtio_pci_fail(vd);
        return -EIO;
    }
    vd->features = accept;
    return 0;
}

void virtio_pci_dump(struct virtio_pci_dev *vd)
{
    struct pci_dev *d = vd->pci;

    kprintf("  virtio %s: interrupts %s (PCI %s, %u vectors), features "
            "%#lx, config changes %lu\n", vd->name,
            virtio_irq_mode_name(vd->mode), pci_irq_mode_name(d->irq_mode),
            vd->nvec, (unsigned long)vd->features,
            (unsigned long)vd->config_irqs);
    for (unsigned v = 0; v < vd->nvec; v++)
        kprintf("    vector %u: INTID %u %-16s irqs %lu not-ours %lu%s\n", v,
                d->irq[v], vd->vec_name[v], (unsigned long)vd->vec_irqs[v],
                (unsigned long)vd->vec_none[v],
                vd->vec_hold[v] ? " (masked)" : "");
    for (unsigned i = 0; i < vd->nvqs; i++) {
        struct virtqueue *vq = vd->vqs[i].vq;
        if (!vq)
            continue;
        kprintf("    queue %u %s: size %u free %u vector %d idx avail %u "
                "used %u seen %u%s\n", i, vq->name ? vq->name : "",
                vq->size, vq->num_free, vd->vqs[i].vec,
                vq->avail_idx_shadow, READ_ONCE(vq->used->idx),
                vq->last_used_idx,
                (vq->avail_flags_shadow & VIRTQ_AVAIL_F_NO_INTERRUPT) ?
                " (callbacks off)" : "");
        kprintf("      added %lu used %lu kicks %lu (suppressed %lu) irqs %lu "
                "(none %lu) bad %lu%s\n", (unsigned long)vq->stats.added,
                (unsigned long)vq->stats.used, (unsigned long)vq->stats.kicks,
                (unsigned long)vq->stats.kicks_suppressed,
                (unsigned long)vq->stats.interrupts,
                (unsigned long)vq->stats.interrupts_none,
                (unsigned long)vq->stats.bad_used,
                vq->broken ? " BROKEN" : "");
    }
}
