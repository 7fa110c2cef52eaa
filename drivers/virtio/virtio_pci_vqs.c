/* virtio PCI transport, queues and interrupts (virtio 1.2 §4.1.5.1.3
 * queue setup, §4.1.5.1.2 MSI-X vectors, §4.1.4.5 ISR): creating and
 * programming queues, the interrupt vector ladder of Linux's
 * virtio_pci_common.c (vp_find_vqs) -- per-queue MSI-X vectors, one shared
 * MSI-X vector, one INTx/MSI line with the ISR register, polling -- the
 * interrupt handlers, and the per-vector mask holders.  Setup in thread
 * context; the handlers run in hard IRQ context and only dispatch to
 * vq_interrupt() and the driver's config_changed hook; masking from any
 * context. */
#include "virtio_pci_regs.h"
#include "irq.h"
#include "printk.h"

/* ---- queues ---- */

unsigned virtio_pci_queue_size(struct virtio_pci_dev *vd, unsigned index)
{
    uint64_t flags = spin_lock_irqsave(&vd->cfg_lock);
    cc_write16(vd, VIRTIO_PCI_COMMON_Q_SELECT, (uint16_t)index);
    unsigned size = cc_read16(vd, VIRTIO_PCI_COMMON_Q_SIZE);
    spin_unlock_irqrestore(&vd->cfg_lock, flags);
    return size;
}

/* §4.1.4.4: the queue's notify address is notify_base +
 * queue_notify_off * notify_off_multiplier; write the queue index there. */
static void vp_notify(struct virtqueue *vq)
{
    struct virtio_pci_dev *vd = vq->transport;

    /* Order: the avail ring stores (normal memory) before the doorbell
     * (device memory).  vq_kick_prepare already issued a full barrier; this
     * one keeps vq_notify correct on its own. */
    wmb();
    mmio_write16(vd->vqs[vq->index].notify, (uint16_t)vq->index);
}

static unsigned round_down_pow2(unsigned n)
{
    while (n & (n - 1))
        n &= n - 1;
    return n;
}

/* Creates queue `index` and programs it, without enabling it (that is done
 * for all queues at once, last: it cannot be undone without a reset).
 * msix_vec: the MSI-X vector to assign, or VIRTIO_MSI_NO_VECTOR. */
static int vp_setup_vq(struct virtio_pci_dev *vd, unsigned index,
                       const struct virtio_vq_desc *desc, uint16_t msix_vec,
                       bool msix)
{
    uint64_t flags = spin_lock_irqsave(&vd->cfg_lock);
    cc_write16(vd, VIRTIO_PCI_COMMON_Q_SELECT, (uint16_t)index);
    unsigned dev_size = cc_read16(vd, VIRTIO_PCI_COMMON_Q_SIZE);
    uint16_t enabled = cc_read16(vd, VIRTIO_PCI_COMMON_Q_ENABLE);
    uint16_t noff = cc_read16(vd, VIRTIO_PCI_COMMON_Q_NOFF);
    spin_unlock_irqrestore(&vd->cfg_lock, flags);

    if (dev_size == 0) {
        klog("virtio %s: queue %u: size 0 (the device has no such queue)",
             vd->name, index);
        return -ENOENT;
    }
    if (enabled) {
        klog("virtio %s: queue %u: already enabled before setup", vd->name,
             index);
        return -EBUSY;
    }
    uint64_t noff_bytes = (uint64_t)noff * vd->notify_mult;
    if (noff_bytes + 2 > vd->notify_len) {
        klog("virtio %s: queue %u: notify offset %#lx outside the notify "
             "area (%#x)", vd->name, index, (unsigned long)noff_bytes,
             vd->notify_len);
        return -EIO;
    }

    /* The driver may shrink the queue (§4.1.4.3): cap it, and keep it a
     * power of two (our ring indices need it). */
    unsigned size = MIN(dev_size, (unsigned)VIRTIO_PCI_VQ_MAX_SIZE);
    if (desc->max_size)
        size = MIN(size, desc->max_size);
    size = round_down_pow2(size);

    bool event_idx = virtio_has_feature(vd, VIRTIO_F_EVENT_IDX);
    struct virtqueue *vq = vq_create(index, size, event_idx, vp_notify,
                                     desc->callback, desc->priv, desc->name);
    if (!vq) {
        klog("virtio %s: queue %u: out of memory for %u entries", vd->name,
             index, size);
        return -ENOMEM;
    }
    vq->transport = vd;

    flags = spin_lock_irqsave(&vd->cfg_lock);
    cc_write16(vd, VIRTIO_PCI_COMMON_Q_SELECT, (uint16_t)index);
    cc_write16(vd, VIRTIO_PCI_COMMON_Q_SIZE, (uint16_t)size);
    cc_write64(vd, VIRTIO_PCI_COMMON_Q_DESCLO, VIRTIO_PCI_COMMON_Q_DESCHI,
               vq->desc_pa);
    cc_write64(vd, VIRTIO_PCI_COMMON_Q_AVAILLO, VIRTIO_PCI_COMMON_Q_AVAILHI,
               vq->avail_pa);
    cc_write64(vd, VIRTIO_PCI_COMMON_Q_USEDLO, VIRTIO_PCI_COMMON_Q_USEDHI,
               vq->used_pa);
    uint16_t got = VIRTIO_MSI_NO_VECTOR;
    if (msix) {
        cc_write16(vd, VIRTIO_PCI_COMMON_Q_MSIX, msix_vec);
        got = cc_read16(vd, VIRTIO_PCI_COMMON_Q_MSIX);
    }
    spin_unlock_irqrestore(&vd->cfg_lock, flags);

    /* §4.1.5.1.2: the device answers NO_VECTOR when it cannot map it. */
    if (msix && got != msix_vec) {
        klog("virtio %s: queue %u: device refused MSI-X vector %u (read "
             "back %#x)", vd->name, index, msix_vec, got);
        vq_destroy(vq);
        return -EBUSY;
    }
    vd->vqs[index].vq = vq;
    vd->vqs[index].notify = (volatile uint16_t *)(vd->notify_base +
                                                  noff_bytes);
    return 0;
}

/* ---- interrupt handlers (hard IRQ context) ---- */

static void vp_config_irq(unsigned irq, void *ctx)
{
    struct virtio_pci_dev *vd = ctx;

    vd->vec_irqs[0]++;
    vd->config_irqs++;
    if (vd->config_changed)
        vd->config_changed(vd);
}

/* Per-queue vector: ctx is the queue. */
static void vp_vq_irq(unsigned irq, void *ctx)
{
    struct virtqueue *vq = ctx;
    struct virtio_pci_dev *vd = vq->transport;
    int v = vd->vqs[vq->index].vec;

    vd->vec_irqs[v]++;
    if (!vq_interrupt(vq))
        vd->vec_none[v]++;
}

/* One vector for every queue: ask each (Linux's vp_vring_interrupt). */
static bool vp_all_vqs(struct virtio_pci_dev *vd)
{
    bool any = false;

    for (unsigned i = 0; i < vd->nvqs; i++) {
        struct virtqueue *vq = vd->vqs[i].vq;
        if (vq && vd->vqs[i].vec >= 0 && vq_interrupt(vq))
            any = true;
    }
    return any;
}

static void vp_shared_irq(unsigned irq, void *ctx)
{
    struct virtio_pci_dev *vd = ctx;

    vd->vec_irqs[1]++;
    if (!vp_all_vqs(vd))
        vd->vec_none[1]++;
}

/* INTx (or a single MSI): the ISR register says whether it was us and why;
 * reading it clears it and deasserts the level line (§4.1.4.5), so it must
 * be read here, in the handler. */
static void vp_line_irq(unsigned irq, void *ctx)
{
    struct virtio_pci_dev *vd = ctx;
    uint8_t isr = mmio_read8(vd->isr);

    if (!isr) {
        vd->vec_none[0]++;      /* shared line: another device's */
        return;
    }
    vd->vec_irqs[0]++;
    if ((isr & VIRTIO_PCI_ISR_CONFIG)) {
        vd->config_irqs++;
        if (vd->config_changed)
            vd->config_changed(vd);
    }
    if (isr & VIRTIO_PCI_ISR_QUEUE)
        vp_all_vqs(vd);
}

/* ---- the vector ladder ---- */

static void vp_unregister(struct virtio_pci_dev *vd)
{
    struct pci_dev *d = vd->pci;

    switch (vd->mode) {
    case VIRTIO_IRQ_MSIX_PER_VQ:
        irq_unregister(d->irq[0], vd);
        for (unsigned i = 0; i < vd->nvqs; i++)
            if (vd->vqs[i].vq && vd->vqs[i].vec > 0)
                irq_unregister(d->irq[vd->vqs[i].vec], vd->vqs[i].vq);
        break;
    case VIRTIO_IRQ_MSIX_SHARED:
        irq_unregister(d->irq[0], vd);
        irq_unregister(d->irq[1], vd);
        break;
    case VIRTIO_IRQ_LINE:
        irq_unregister(d->irq[0], vd);
        break;
    default:
        break;
    }
}

/* Undo one rung: handlers, queues (never enabled), vectors. */
static void vp_del_vqs(struct virtio_pci_dev *vd)
{
    vp_unregister(vd);
    for (unsigned i = 0; i < VIRTIO_PCI_MAX_VQS; i++) {
        if (vd->vqs[i].vq)
            vq_destroy(vd->vqs[i].vq);
        vd->vqs[i].vq = NULL;
        vd->vqs[i].notify = NULL;
        vd->vqs[i].vec = -1;
    }
    if (vd->pci->nvec || vd->pci->irq_mode != PCI_IRQ_POLL)
        pci_free_irq_vectors(vd->pci);
    for (unsigned v = 0; v < VIRTIO_PCI_MAX_VECS; v++)
        vd->vec_hold[v] = 0;
    vd->nvec = 0;
    vd->nvqs = 0;
    vd->mode = VIRTIO_IRQ_NONE;
}

static int vp_register(struct virtio_pci_dev *vd, enum virtio_irq_mode mode)
{
    struct pci_dev *d = vd->pci;
    int err = 0;

    switch (mode) {
    case VIRTIO_IRQ_MSIX_PER_VQ:
        snprintf(vd->vec_name[0], sizeof(vd->vec_name[0]), "%s-config",
                 vd->name);
        err = irq_register(d->irq[0], IRQ_TRIGGER_EDGE, vp_config_irq, vd,
                           vd->vec_name[0]);
        for (unsigned i = 0; !err && i < vd->nvqs; i++) {
            int v = vd->vqs[i].vec;
            if (v <= 0)
                continue;
            struct virtqueue *vq = vd->vqs[i].vq;
            snprintf(vd->vec_name[v], sizeof(vd->vec_name[v]), "%s-%s",
                     vd->name, vq->name ? vq->name : "vq");
            err = irq_register(d->irq[v], IRQ_TRIGGER_EDGE, vp_vq_irq, vq,
                               vd->vec_name[v]);
        }
        break;
    case VIRTIO_IRQ_MSIX_SHARED:
        snprintf(vd->vec_name[0], sizeof(vd->vec_name[0]), "%s-config",
                 vd->name);
        snprintf(vd->vec_name[1], sizeof(vd->vec_name[1]), "%s-queues",
                 vd->name);
        err = irq_register(d->irq[0], IRQ_TRIGGER_EDGE, vp_config_irq, vd,
                           vd->vec_name[0]);
        if (!err)
            err = irq_register(d->irq[1], IRQ_TRIGGER_EDGE, vp_shared_irq,
                               vd, vd->vec_name[1]);
        break;
    case VIRTIO_IRQ_LINE:
        snprintf(vd->vec_name[0], sizeof(vd->vec_name[0]), "%s", vd->name);
        if (d->irq_mode == PCI_IRQ_INTX)
            err = irq_register_shared(d->irq[0], vp_line_irq, vd,
                                      vd->vec_name[0]);
        else
            err = irq_register(d->irq[0], IRQ_TRIGGER_EDGE, vp_line_irq, vd,
                               vd->vec_name[0]);
        break;
    default:
        break;
    }
    if (err)
        klog("virtio %s: cannot register interrupt handler: %d", vd->name,
             err);
    return err;
}

/* One rung of the ladder.  Returns 0 with every queue programmed and the
 * handlers registered, or a negative errno with everything undone. */
static int vp_try(struct virtio_pci_dev *vd, unsigned n,
                  const struct virtio_vq_desc *desc, enum virtio_irq_mode mode,
                  unsigned nvec, unsigned pci_allowed)
{
    struct pci_dev *d = vd->pci;
    bool msix = mode == VIRTIO_IRQ_MSIX_PER_VQ ||
                mode == VIRTIO_IRQ_MSIX_SHARED;
    int err;

    int got = pci_alloc_irq_vectors(d, nvec ? nvec : 1, nvec ? nvec : 1,
                                    pci_allowed);
    if (got < 0 || (unsigned)got < nvec ||
        (mode == VIRTIO_IRQ_POLL && d->irq_mode != PCI_IRQ_POLL)) {
        if (got >= 0)
            pci_free_irq_vectors(d);
        return got < 0 ? got : -ENOSPC;
    }
    vd->mode = mode;
    vd->nvec = (unsigned)got;
    vd->nvqs = n;

    /* Configuration changes: vector 0 with MSI-X, else the ISR. */
    uint64_t flags = spin_lock_irqsave(&vd->cfg_lock);
    cc_write16(vd, VIRTIO_PCI_COMMON_MSIX, msix ? 0 : VIRTIO_MSI_NO_VECTOR);
    uint16_t cfg_vec = cc_read16(vd, VIRTIO_PCI_COMMON_MSIX);
    spin_unlock_irqrestore(&vd->cfg_lock, flags);
    if (msix && cfg_vec != 0) {
        klog("virtio %s: device refused MSI-X vector 0 for configuration "
             "changes (read back %#x)", vd->name, cfg_vec);
        err = -EBUSY;
        goto err_undo;
    }

    unsigned next_vec = 1;
    for (unsigned i = 0; i < n; i++) {
        int v = -1;
        if (desc[i].callback) {
            switch (mode) {
            case VIRTIO_IRQ_MSIX_PER_VQ: v = (int)next_vec++; break;
            case VIRTIO_IRQ_MSIX_SHARED: v = 1; break;
            case VIRTIO_IRQ_LINE:        v = 0; break;
            default:                     break;
            }
        }
        vd->vqs[i].vec = v;
        uint16_t mv = msix && v >= 0 ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
        err = vp_setup_vq(vd, i, &desc[i], mv, msix);
        if (err)
            goto err_undo;
    }
    err = vp_register(vd, mode);
    if (err)
        goto err_undo;

    /* Everything starts masked: the driver lets each holder go when it is
     * ready (deferred enable). */
    flags = spin_lock_irqsave(&vd->vec_lock);
    for (unsigned i = 0; i < n; i++)
        if (vd->vqs[i].vec >= 0)
            vd->vec_hold[vd->vqs[i].vec] |= 1u << i;
    if (mode != VIRTIO_IRQ_POLL)
        vd->vec_hold[0] |= VIRTIO_PCI_HOLD_CONFIG;
    spin_unlock_irqrestore(&vd->vec_lock, flags);
    return 0;

err_undo:
    vp_del_vqs(vd);
    return err;
}

int virtio_pci_find_vqs(struct virtio_pci_dev *vd, unsigned n,
                        const struct virtio_vq_desc *desc,
                        struct virtqueue **vqs, unsigned allowed)
{
    unsigned ncb = 0;
    int err = -ENODEV;

    if (n == 0 || n > VIRTIO_PCI_MAX_VQS)
        return -EINVAL;
    for (unsigned i = 0; i < n; i++) {
        if (virtio_pci_queue_size(vd, i) == 0) {
            klog("virtio %s: queue %u: size 0 (the device has no such "
                 "queue)", vd->name, i);
            return -ENOENT;
        }
        if (desc[i].callback)
            ncb++;
    }

    struct {
        enum virtio_irq_mode mode;
        unsigned nvec;
        unsigned pci_allowed;
    } ladder[] = {
        { VIRTIO_IRQ_MSIX_PER_VQ, 1 + ncb, PCI_IRQ_ALLOW_MSIX },
        { VIRTIO_IRQ_MSIX_SHARED, 2, PCI_IRQ_ALLOW_MSIX },
        { VIRTIO_IRQ_LINE, 1, allowed & (PCI_IRQ_ALLOW_MSI |
                                         PCI_IRQ_ALLOW_INTX) },
        { VIRTIO_IRQ_POLL, 0, PCI_IRQ_ALLOW_POLL },
    };
    for (unsigned k = 0; k < ARRAY_SIZE(ladder); k++) {
        if (!(allowed & ladder[k].pci_allowed))
            continue;
        /* With a single queue callback the shared rung is the same as the
         * per-queue one. */
        if (ladder[k].mode == VIRTIO_IRQ_MSIX_SHARED && ncb <= 1)
            continue;
        err = vp_try(vd, n, desc, ladder[k].mode, ladder[k].nvec,
                     ladder[k].pci_allowed);
        if (err == 0)
            break;
        if (err == -ENOMEM || err == -ENOENT)
            return err;
        klog("virtio %s: interrupt mode %s failed (%d), stepping down",
             vd->name, virtio_irq_mode_name(ladder[k].mode), err);
    }
    if (err)
        return err;

    /* Last step, all queues at once: this cannot be undone without a
     * device reset (§4.1.4.3: queue_enable is never written 0). */
    uint64_t flags = spin_lock_irqsave(&vd->cfg_lock);
    for (unsigned i = 0; i < n; i++) {
        cc_write16(vd, VIRTIO_PCI_COMMON_Q_SELECT, (uint16_t)i);
        cc_write16(vd, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
        vqs[i] = vd->vqs[i].vq;
    }
    spin_unlock_irqrestore(&vd->cfg_lock, flags);
    klog("virtio %s: %u queues, interrupts: %s", vd->name, n,
         virtio_irq_mode_name(vd->mode));
    return 0;
}

void virtio_pci_teardown(struct virtio_pci_dev *vd)
{
    virtio_pci_reset(vd);   /* the device forgets queues and vectors */
    vp_del_vqs(vd);
}

/* ---- masking ---- */

int virtio_pci_vq_vector(struct virtio_pci_dev *vd, struct virtqueue *vq)
{
    if (!vq || vq->index >= VIRTIO_PCI_MAX_VQS)
        return -1;
    return vd->vqs[vq->index].vec;
}

static void vp_hold(struct virtio_pci_dev *vd, int v, uint32_t bit, bool hold)
{
    if (v < 0 || (unsigned)v >= vd->nvec || vd->mode == VIRTIO_IRQ_POLL ||
        vd->mode == VIRTIO_IRQ_NONE)
        return;
    uint64_t flags = spin_lock_irqsave(&vd->vec_lock);
    uint32_t before = vd->vec_hold[v];
    uint32_t after = hold ? before | bit : before & ~bit;
    vd->vec_hold[v] = after;
    if (!before && after)
        pci_irq_mask(vd->pci, (unsigned)v);
    else if (before && !after)
        pci_irq_unmask(vd->pci, (unsigned)v);
    spin_unlock_irqrestore(&vd->vec_lock, flags);
}

void virtio_pci_vq_irq_mask(struct virtio_pci_dev *vd, struct virtqueue *vq)
{
    vp_hold(vd, virtio_pci_vq_vector(vd, vq), 1u << vq->index, true);
}

void virtio_pci_vq_irq_unmask(struct virtio_pci_dev *vd, struct virtqueue *vq)
{
    vp_hold(vd, virtio_pci_vq_vector(vd, vq), 1u << vq->index, false);
}

void virtio_pci_config_irq_unmask(struct virtio_pci_dev *vd)
{
    vp_hold(vd, 0, VIRTIO_PCI_HOLD_CONFIG, false);
}
