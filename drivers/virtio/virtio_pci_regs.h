/* Private to drivers/virtio/virtio_pci*.c: the register layout of the
 * virtio PCI capabilities and the common configuration structure (virtio
 * 1.2 §4.1.4), and their accessors. */
#ifndef VIRTIO_PCI_REGS_H
#define VIRTIO_PCI_REGS_H

#include "virtio_pci.h"
#include "arch.h"

/* §4.1.4 struct virtio_pci_cap, offsets from the capability. */
#define VIRTIO_PCI_CAP_LEN          2   /* u8 cap_len */
#define VIRTIO_PCI_CAP_CFG_TYPE     3   /* u8 */
#define VIRTIO_PCI_CAP_BAR          4   /* u8 */
#define VIRTIO_PCI_CAP_OFFSET       8   /* le32 */
#define VIRTIO_PCI_CAP_LENGTH       12  /* le32 */
#define VIRTIO_PCI_CAP_SIZE         16
#define VIRTIO_PCI_NOTIFY_CAP_MULT  16  /* le32 notify_off_multiplier */
#define VIRTIO_PCI_NOTIFY_CAP_SIZE  20

/* cfg_type values. */
#define VIRTIO_PCI_CAP_COMMON_CFG   1
#define VIRTIO_PCI_CAP_NOTIFY_CFG   2
#define VIRTIO_PCI_CAP_ISR_CFG      3
#define VIRTIO_PCI_CAP_DEVICE_CFG   4

/* §4.1.4.3 struct virtio_pci_common_cfg. */
#define VIRTIO_PCI_COMMON_DFSELECT  0x00    /* le32 device_feature_select */
#define VIRTIO_PCI_COMMON_DF        0x04    /* le32 device_feature (RO) */
#define VIRTIO_PCI_COMMON_GFSELECT  0x08    /* le32 driver_feature_select */
#define VIRTIO_PCI_COMMON_GF        0x0c    /* le32 driver_feature */
#define VIRTIO_PCI_COMMON_MSIX      0x10    /* le16 config_msix_vector */
#define VIRTIO_PCI_COMMON_NUMQ      0x12    /* le16 num_queues (RO) */
#define VIRTIO_PCI_COMMON_STATUS    0x14    /* u8 device_status */
#define VIRTIO_PCI_COMMON_CFGGEN    0x15    /* u8 config_generation (RO) */
#define VIRTIO_PCI_COMMON_Q_SELECT  0x16    /* le16 queue_select */
#define VIRTIO_PCI_COMMON_Q_SIZE    0x18    /* le16 queue_size */
#define VIRTIO_PCI_COMMON_Q_MSIX    0x1a    /* le16 queue_msix_vector */
#define VIRTIO_PCI_COMMON_Q_ENABLE  0x1c    /* le16 queue_enable */
#define VIRTIO_PCI_COMMON_Q_NOFF    0x1e    /* le16 queue_notify_off (RO) */
#define VIRTIO_PCI_COMMON_Q_DESCLO  0x20    /* le64 queue_desc */
#define VIRTIO_PCI_COMMON_Q_DESCHI  0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28    /* le64 queue_driver */
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO  0x30    /* le64 queue_device */
#define VIRTIO_PCI_COMMON_Q_USEDHI  0x34
#define VIRTIO_PCI_COMMON_MIN_LEN   0x38    /* the virtio 1.0 layout */

/* §4.1.4.5 ISR status bits (read clears, and deasserts INTx). */
#define VIRTIO_PCI_ISR_QUEUE        0x1
#define VIRTIO_PCI_ISR_CONFIG       0x2

/* Common configuration accessors: natural-width MMIO (§4.1.3.1). */
static inline uint8_t cc_read8(struct virtio_pci_dev *vd, unsigned off)
{
    return mmio_read8(vd->common + off);
}

static inline uint16_t cc_read16(struct virtio_pci_dev *vd, unsigned off)
{
    return mmio_read16(vd->common + off);
}

static inline uint32_t cc_read32(struct virtio_pci_dev *vd, unsigned off)
{
    return mmio_read32(vd->common + off);
}

static inline void cc_write8(struct virtio_pci_dev *vd, unsigned off,
                             uint8_t v)
{
    mmio_write8(vd->common + off, v);
}

static inline void cc_write16(struct virtio_pci_dev *vd, unsigned off,
                              uint16_t v)
{
    mmio_write16(vd->common + off, v);
}

static inline void cc_write32(struct virtio_pci_dev *vd, unsigned off,
                              uint32_t v)
{
    mmio_write32(vd->common + off, v);
}

/* 64-bit fields as two 32-bit writes, low word first (§4.1.3.1). */
static inline void cc_write64(struct virtio_pci_dev *vd, unsigned lo,
                              unsigned hi, uint64_t v)
{
    cc_write32(vd, lo, (uint32_t)v);
    cc_write32(vd, hi, (uint32_t)(v >> 32));
}

#endif
