/* Host tests of kernel/dt.c on the device trees QEMU's virt machine builds
 * (values from DESIGN.md "Platform") and on small trees built here.
 * Usage: test_dt virt.dtb virt-args.dtb initrd-size
 * where virt-args.dtb was dumped with -append "foo=bar ktest=all" and an
 * initrd of initrd-size bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dt.h"
#include "fdt.h"
#include "minitest.h"
#include "test_fdt_builder.h"

static uint8_t *real, *args;
static size_t real_size, args_size;
static unsigned long initrd_size;

/* The plain QEMU tree is the current one for the tests that follow. */
static void use_real(void)
{
    if (dt_init(real, real_size) != 0) {
        printf("  dt_init failed on the real DTB\n");
        exit(1);
    }
}

/* dt_init on a built blob; the blob stays allocated until the next call. */
static int use_built(struct fdtb *b)
{
    static uint8_t *blob;
    size_t n;
    free(blob);
    blob = fdtb_finish(b, 1, &n);
    return dt_init(blob, n);
}

static void check_reg(int node, int i, uint64_t addr, uint64_t size)
{
    uint64_t a = 0, s = 0;
    CHECK(dt_reg(node, i, &a, &s));
    CHECK_EQ(a, addr);
    CHECK_EQ(s, size);
}

/* ---- The real QEMU tree -------------------------------------------------- */

static void test_init(void)
{
    CHECK_EQ(dt_init(real, real_size), 0);
    CHECK_EQ(dt_totalsize(), real_size);
    CHECK(dt_fdt() != NULL);
    CHECK(dt_fdt()->blob == real);
}

static void test_memory(void)
{
    struct dt_range r[DT_MAX_MEM];
    memset(r, 0, sizeof(r));
    CHECK_EQ(dt_memory(r, DT_MAX_MEM), 1);
    CHECK_EQ(r[0].base, 0x40000000);
    CHECK_EQ(r[0].size, 0x20000000);
    CHECK_EQ(dt_memory(r, 0), 0);
    CHECK_EQ(dt_memory(NULL, 0), 0);
}

static void test_uart(void)
{
    int uart = dt_stdout_node();
    CHECK_STR(dt_node_name(uart), "pl011@9000000");
    CHECK_EQ(uart, dt_find_compatible(-1, "arm,pl011"));
    CHECK(dt_is_compatible(uart, "arm,primecell"));
    check_reg(uart, 0, 0x9000000, 0x1000);
    CHECK(!dt_reg(uart, 1, NULL, NULL));
    CHECK(!dt_reg(uart, -1, NULL, NULL));
    uint32_t flags = 0;
    CHECK_EQ(dt_irq(uart, 0, &flags), 33);        /* SPI 1 */
    CHECK_EQ(flags, 4);                             /* level high */
    CHECK_EQ(dt_irq(uart, 0, NULL), 33);
    CHECK_EQ(dt_irq(uart, 1, &flags), -1);
    CHECK_EQ(dt_irq(uart, -1, &flags), -1);

    int rtc = dt_find_compatible(-1, "arm,pl031");
    CHECK_STR(dt_node_name(rtc), "pl031@9010000");
    check_reg(rtc, 0, 0x9010000, 0x1000);
    CHECK_EQ(dt_irq(rtc, 0, NULL), 34);
}

static void test_gic(void)
{
    int gic = dt_find_compatible(-1, "arm,cortex-a15-gic");
    CHECK(gic >= 0);
    check_reg(gic, 0, 0x8000000, 0x10000);     /* distributor */
    check_reg(gic, 1, 0x8010000, 0x10000);     /* CPU interface */
    CHECK(!dt_reg(gic, 2, NULL, NULL));
    CHECK(dt_getprop(gic, "interrupt-controller", NULL) != NULL);
    uint32_t cells = 0;
    CHECK(dt_getprop_u32(gic, "#interrupt-cells", &cells));
    CHECK_EQ(cells, 3);
    CHECK_EQ(dt_find_phandle(0x8002), gic);

    int v2m = dt_find_compatible(-1, "arm,gic-v2m-frame");
    CHECK_STR(dt_node_name(v2m), "v2m@8020000");
    check_reg(v2m, 0, 0x8020000, 0x1000);
    CHECK(dt_getprop(v2m, "msi-controller", NULL) != NULL);
    CHECK_EQ(fdt_parent(dt_fdt(), v2m), gic);
    CHECK_EQ(dt_find_compatible(v2m, "arm,gic-v2m-frame"), -FDT_ERR_NOTFOUND);
}

static void test_pcie(void)
{
    int pci = dt_find_compatible(-1, "pci-host-ecam-generic");
    CHECK_STR(dt_node_name(pci), "pcie@10000000");
    check_reg(pci, 0, 0x4010000000ull, 0x10000000);

    int len = 0;
    const uint8_t *br = dt_getprop(pci, "bus-range", &len);
    CHECK(br != NULL);
    CHECK_EQ(len, 8);
    if (br) {
        CHECK_EQ(fdt_be32(br), 0);
        CHECK_EQ(fdt_be32(br + 4), 0xff);
    }

    /* msi-map = <rid-base msi-controller msi-base length>. */
    const uint8_t *mm = dt_getprop(pci, "msi-map", &len);
    CHECK(mm != NULL);
    CHECK_EQ(len, 16);
    if (mm) {
        int v2m = dt_find_phandle(fdt_be32(mm + 4));
        CHECK_STR(dt_node_name(v2m), "v2m@8020000");
        CHECK(dt_is_compatible(v2m, "arm,gic-v2m-frame"));
        CHECK_EQ(fdt_be32(mm + 12), 0x10000);
    }
    /* The 64-bit MMIO window: third ranges entry (3 + 2 + 2 cells each). */
    const uint8_t *rg = dt_getprop(pci, "ranges", &len);
    CHECK_EQ(len, 3 * 7 * 4);
    if (rg && len == 84) {
        CHECK_EQ(fdt_read_cells(rg + 2 * 28 + 12, 2), 0x8000000000ull);
        CHECK_EQ(fdt_read_cells(rg + 1 * 28 + 12, 2), 0x10000000);
    }
    /* The PCI node has no "interrupts"; its INTx go through interrupt-map. */
    CHECK_EQ(dt_irq(pci, 0, NULL), -1);
}

static void test_timer_psci_cpus(void)
{
    static const int want[] = { 29, 30, 27, 26 };  /* PPIs 13 14 11 10 */
    int timer = dt_find_compatible(-1, "arm,armv8-timer");
    CHECK(timer >= 0);
    for (int i = 0; i < 4; i++) {
        uint32_t flags = 0;
        CHECK_EQ(dt_irq(timer, i, &flags), want[i]);
        CHECK_EQ(flags, 0x104);
    }
    CHECK_EQ(dt_irq(timer, 4, NULL), -1);

    int psci = dt_find_compatible(-1, "arm,psci-0.2");
    CHECK(psci >= 0);
    CHECK(dt_is_compatible(psci, "arm,psci-1.0"));
    int len = 0;
    const char *method = dt_getprop(psci, "method", &len);
    CHECK_STR(method, "hvc");
    CHECK_EQ(len, 4);
    uint32_t fn = 0;
    CHECK(dt_getprop_u32(psci, "cpu_on", &fn));
    CHECK_EQ(fn, 0xc4000003);

    /* /cpus has #address-cells 1 and #size-cells 0. */
    int cpu = dt_find_compatible(-1, "arm,cortex-a57");
    CHECK_STR(dt_node_name(cpu), "cpu@0");
    check_reg(cpu, 0, 0, 0);
    CHECK_EQ(dt_find_phandle(0x8001), cpu);
}

static void test_chosen(void)
{
    CHECK_STR(dt_bootargs(), "");
    uint64_t s = 1, e = 1;
    CHECK(!dt_initrd(&s, &e));

    CHECK_EQ(dt_init(args, args_size), 0);
    CHECK_STR(dt_bootargs(), "foo=bar ktest=all");
    CHECK(dt_initrd(&s, &e));
    CHECK(s >= 0x40000000 && s < 0x60000000);
    CHECK_EQ(e - s, initrd_size);
    CHECK_STR(dt_node_name(dt_stdout_node()), "pl011@9000000");
    use_real();
}

/* Bad node offsets and calls on a failed dt_init. */
static void test_failures(void)
{
    uint64_t a, s;
    uint32_t fl;
    CHECK(!dt_reg(-1, 0, &a, &s));
    CHECK(!dt_reg(1, 0, &a, &s));
    CHECK(!dt_reg(fdt_root(dt_fdt()), 0, &a, &s));  /* root: no parent */
    CHECK_EQ(dt_irq(-1, 0, &fl), -1);
    CHECK_EQ(dt_irq(3, 0, &fl), -1);
    CHECK(dt_node_name(-1) == NULL);

    uint8_t *bad = fdtb_dup(real, 4096);
    CHECK_EQ(dt_init(bad, 4096), -FDT_ERR_TRUNCATED);
    bad[0] = 0;
    CHECK_EQ(dt_init(bad, 4096), -FDT_ERR_BADMAGIC);
    CHECK_EQ(dt_init(NULL, 0), -FDT_ERR_TRUNCATED);
    struct dt_range r[2];
    CHECK_EQ(dt_memory(r, 2), 0);
    CHECK_STR(dt_bootargs(), "");
    CHECK(dt_stdout_node() < 0);
    CHECK(!dt_initrd(&a, &s));
    CHECK_EQ(dt_totalsize(), 0);
    CHECK(dt_find_compatible(-1, "arm,pl011") < 0);
    CHECK(dt_find_phandle(0x8002) < 0);
    CHECK(dt_getprop(0, "model", NULL) == NULL);
    CHECK(!dt_getprop_u32(0, "#address-cells", &fl));
    CHECK(!dt_is_compatible(0, "linux,dummy-virt"));
    CHECK(!dt_reg(0, 0, &a, &s));
    CHECK_EQ(dt_irq(0, 0, &fl), -1);
    free(bad);
    use_real();
}

/* ---- Built trees ---------------------------------------------------------- */

/* / { #address-cells = <1>; #size-cells = <1>; interrupt-parent = <&gic>;
 *     memory@80000000, memory@0 (two entries), memory (no device_type),
 *     memory@c0000000 (disabled), cpus-like and device nodes ... } */
static void build_board(struct fdtb *b, const char *stdout_path)
{
    fdtb_init(b);
    fdtb_begin(b, "");
    fdtb_prop_cells(b, "#address-cells", 1, 1);
    fdtb_prop_cells(b, "#size-cells", 1, 1);
    fdtb_prop_cells(b, "interrupt-parent", 1, 1);

    fdtb_begin(b, "chosen");
    if (stdout_path)
        fdtb_prop_str(b, "stdout-path", stdout_path);
    fdtb_prop_cells(b, "linux,initrd-start", 2, 0x1, 0x00001000);
    fdtb_prop_cells(b, "linux,initrd-end", 2, 0x1, 0x00003000);
    fdtb_end(b);

    fdtb_begin(b, "aliases");
    fdtb_prop_str(b, "serial0", "/soc/uart@2000");
    fdtb_end(b);

    fdtb_begin(b, "memory@80000000");
    fdtb_prop_str(b, "device_type", "memory");
    fdtb_prop_cells(b, "reg", 2, 0x80000000, 0x10000000);
    fdtb_end(b);

    fdtb_begin(b, "memory@0");
    fdtb_prop_str(b, "device_type", "memory");
    /* Two entries, one of size 0 (skipped), and a stray half entry. */
    fdtb_prop_cells(b, "reg", 5, 0x0, 0x1000, 0x5000, 0, 0x9000);
    fdtb_end(b);

    fdtb_begin(b, "memory");
    fdtb_prop_cells(b, "reg", 2, 0x20000000, 0x2000);
    fdtb_end(b);

    fdtb_begin(b, "memory@c0000000");
    fdtb_prop_str(b, "device_type", "memory");
    fdtb_prop_str(b, "status", "disabled");
    fdtb_prop_cells(b, "reg", 2, 0xc0000000, 0x1000);
    fdtb_end(b);

    fdtb_begin(b, "memoryx@1");     /* not memory: wrong name */
    fdtb_prop_cells(b, "reg", 2, 0xd0000000, 0x1000);
    fdtb_end(b);

    fdtb_begin(b, "sram@e0000000"); /* not memory: device_type says so */
    fdtb_prop_str(b, "device_type", "sram");
    fdtb_prop_cells(b, "reg", 2, 0xe0000000, 0x1000);
    fdtb_end(b);

    fdtb_begin(b, "intc@1000");
    fdtb_prop_cells(b, "phandle", 1, 1);
    fdtb_prop(b, "interrupt-controller", "", 0);
    fdtb_prop_cells(b, "#interrupt-cells", 1, 3);
    fdtb_prop_cells(b, "reg", 2, 0x1000, 0x100);
    fdtb_end(b);

    fdtb_begin(b, "gpio@3000");     /* a 2-cell interrupt controller */
    fdtb_prop_cells(b, "phandle", 1, 2);
    fdtb_prop(b, "interrupt-controller", "", 0);
    fdtb_prop_cells(b, "#interrupt-cells", 1, 2);
    fdtb_end(b);

    fdtb_begin(b, "loop@1");        /* interrupt-parent chain that loops */
    fdtb_prop_cells(b, "phandle", 1, 3);
    fdtb_prop_cells(b, "interrupt-parent", 1, 3);
    fdtb_prop_cells(b, "interrupts", 3, 0, 1, 4);
    fdtb_end(b);

    fdtb_begin(b, "soc");
    fdtb_prop_cells(b, "#address-cells", 1, 2);
    fdtb_prop_cells(b, "#size-cells", 1, 2);
    fdtb_begin(b, "uart@2000");
    fdtb_prop_cells(b, "reg", 4, 0x1, 0x2000, 0x0, 0x1000);
    fdtb_prop_cells(b, "interrupts", 9, 0, 5, 4, 1, 9, 0x308, 2, 1, 1);
    fdtb_end(b);
    fdtb_begin(b, "key");
    fdtb_prop_cells(b, "interrupt-parent", 1, 2);
    fdtb_prop_cells(b, "interrupts", 2, 0, 5);
    fdtb_end(b);
    fdtb_begin(b, "bad-irqs");
    fdtb_prop_cells(b, "interrupts", 8, 0, 988, 4, 1, 16, 4, 0, 987);
    fdtb_end(b);
    fdtb_begin(b, "nodefault");
    /* Parent without cells properties: defaults 2 and 1 apply. */
    fdtb_begin(b, "dev");
    fdtb_prop_cells(b, "reg", 3, 0x2, 0x3000, 0x40);
    fdtb_end(b);
    fdtb_end(b);
    fdtb_begin(b, "wide");
    fdtb_prop_cells(b, "#address-cells", 1, 3);
    fdtb_begin(b, "dev");
    fdtb_prop_cells(b, "reg", 5, 0, 0, 0x1000, 0, 0x100);
    fdtb_end(b);
    fdtb_end(b);
    fdtb_end(b);

    fdtb_end(b);
}

static void test_built_memory(void)
{
    struct fdtb b;
    build_board(&b, "/soc/uart@2000");
    CHECK_EQ(use_built(&b), 0);

    struct dt_range r[DT_MAX_MEM];
    CHECK_EQ(dt_memory(r, DT_MAX_MEM), 3);
    CHECK_EQ(r[0].base, 0x80000000);
    CHECK_EQ(r[0].size, 0x10000000);
    CHECK_EQ(r[1].base, 0);
    CHECK_EQ(r[1].size, 0x1000);
    CHECK_EQ(r[2].base, 0x20000000);
    CHECK_EQ(r[2].size, 0x2000);
    /* Output limited to max. */
    memset(r, 0, sizeof(r));
    CHECK_EQ(dt_memory(r, 2), 2);
    CHECK_EQ(r[1].size, 0x1000);
    CHECK_EQ(r[2].size, 0);

    /* No memory node at all. */
    fdtb_init(&b);
    fdtb_begin(&b, "");
    fdtb_begin(&b, "chosen");
    fdtb_end(&b);
    fdtb_end(&b);
    CHECK_EQ(use_built(&b), 0);
    CHECK_EQ(dt_memory(r, DT_MAX_MEM), 0);
    CHECK(dt_stdout_node() < 0);
    CHECK_STR(dt_bootargs(), "");
    uint64_t s, e;
    CHECK(!dt_initrd(&s, &e));
}

static void test_built_reg(void)
{
    struct fdtb b;
    build_board(&b, NULL);
    CHECK_EQ(use_built(&b), 0);
    const struct fdt *f = dt_fdt();

    check_reg(fdt_path_offset(f, "/soc/uart"), 0, 0x100002000ull, 0x1000);
    check_reg(fdt_path_offset(f, "/intc"), 0, 0x1000, 0x100);
    check_reg(fdt_path_offset(f, "/soc/nodefault/dev"), 0, 0x200003000ull,
              0x40);
    /* Three address cells are not representable. */
    CHECK(!dt_reg(fdt_path_offset(f, "/soc/wide/dev"), 0, NULL, NULL));
    /* The half entry at the end of memory@0's reg is ignored. */
    int m0 = fdt_path_offset(f, "/memory@0");
    check_reg(m0, 1, 0x5000, 0);
    CHECK(!dt_reg(m0, 2, NULL, NULL));
    CHECK(!dt_reg(fdt_path_offset(f, "/soc"), 0, NULL, NULL));
}

static void test_built_irq(void)
{
    struct fdtb b;
    build_board(&b, NULL);
    CHECK_EQ(use_built(&b), 0);
    const struct fdt *f = dt_fdt();
    uint32_t fl = 0;

    /* interrupt-parent inherited from the root. */
    int uart = fdt_path_offset(f, "/soc/uart");
    CHECK_EQ(dt_irq(uart, 0, &fl), 37);
    CHECK_EQ(fl, 4);
    CHECK_EQ(dt_irq(uart, 1, &fl), 25);
    CHECK_EQ(fl, 0x308);
    CHECK_EQ(dt_irq(uart, 2, &fl), -1);    /* type 2 is not SPI/PPI */
    CHECK_EQ(dt_irq(uart, 3, &fl), -1);

    int bad = fdt_path_offset(f, "/soc/bad-irqs");
    CHECK_EQ(dt_irq(bad, 0, NULL), -1);    /* SPI 988 > INTID 1019 */
    CHECK_EQ(dt_irq(bad, 1, NULL), -1);    /* PPI 16 */
    CHECK_EQ(dt_irq(bad, 2, NULL), -1);    /* incomplete entry */

    /* Parent with 2-cell specifiers is not a GIC; looping parents end. */
    CHECK_EQ(dt_irq(fdt_path_offset(f, "/soc/key"), 0, NULL), -1);
    CHECK_EQ(dt_irq(fdt_path_offset(f, "/loop"), 0, NULL), -1);
    CHECK_EQ(dt_irq(fdt_path_offset(f, "/soc"), 0, NULL), -1);
}

static void test_built_chosen(void)
{
    struct fdtb b;
    static const char *const paths[] = {
        "/soc/uart@2000", "/soc/uart@2000:115200n8", "serial0",
        "serial0:115200", "/soc/uart",
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        build_board(&b, paths[i]);
        CHECK_EQ(use_built(&b), 0);
        CHECK_STR(dt_node_name(dt_stdout_node()), "uart@2000");
    }
    static const char *const bad[] = {
        "", ":115200", "serial1", "/soc/uart@3000", "/nowhere:9600",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        build_board(&b, bad[i]);
        CHECK_EQ(use_built(&b), 0);
        CHECK(dt_stdout_node() < 0);
    }
    /* An overlong path is refused, not overflowed. */
    char longpath[600];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    build_board(&b, longpath);
    CHECK_EQ(use_built(&b), 0);
    CHECK(dt_stdout_node() < 0);

    /* Two-cell initrd addresses. */
    uint64_t s = 0, e = 0;
    CHECK(dt_initrd(&s, &e));
    CHECK_EQ(s, 0x100001000ull);
    CHECK_EQ(e, 0x100003000ull);

    /* One-cell ones, a bad length, end before start, legacy stdout. */
    fdtb_init(&b);
    fdtb_begin(&b, "");
    fdtb_begin(&b, "chosen");
    fdtb_prop_cells(&b, "linux,initrd-start", 1, 0x4000);
    fdtb_prop_cells(&b, "linux,initrd-end", 1, 0x5000);
    fdtb_prop_str(&b, "linux,stdout-path", "/chosen");
    fdtb_prop(&b, "bootargs", "abc", 3);          /* no NUL */
    fdtb_end(&b);
    fdtb_end(&b);
    CHECK_EQ(use_built(&b), 0);
    CHECK(dt_initrd(&s, &e));
    CHECK_EQ(s, 0x4000);
    CHECK_EQ(e, 0x5000);
    CHECK(dt_initrd(NULL, NULL));
    CHECK_STR(dt_node_name(dt_stdout_node()), "chosen");
    CHECK_STR(dt_bootargs(), "");

    fdtb_init(&b);
    fdtb_begin(&b, "");
    fdtb_begin(&b, "chosen");
    fdtb_prop_cells(&b, "linux,initrd-start", 3, 0, 0, 0x4000);
    fdtb_prop_cells(&b, "linux,initrd-end", 1, 0x5000);
    fdtb_end(&b);
    fdtb_end(&b);
    CHECK_EQ(use_built(&b), 0);
    CHECK(!dt_initrd(&s, &e));

    fdtb_init(&b);
    fdtb_begin(&b, "");
    fdtb_begin(&b, "chosen");
    fdtb_prop_cells(&b, "linux,initrd-start", 1, 0x6000);
    fdtb_prop_cells(&b, "linux,initrd-end", 1, 0x5000);
    fdtb_end(&b);
    fdtb_end(&b);
    CHECK_EQ(use_built(&b), 0);
    CHECK(!dt_initrd(&s, &e));
    use_real();
}

/* The node whose token range holds struct offset `off`, or the root. */
static int node_at(uint32_t off)
{
    const struct fdt *f = dt_fdt();
    int best = fdt_root(f);
    for (int node = best; node >= 0 && (uint32_t)node <= off;
         node = fdt_next_node(f, node))
        best = node;
    return best;
}

/* Each word of the structure block replaced by a few values: dt_init
 * rejects the blob, or every dt_ call on the nodes around the change runs
 * clean under the sanitizers.  (Header and strings are test_fdt's.) */
static void test_mutation_sweep(void)
{
    size_t n;
    uint8_t *small = fdtb_compact(real, &n);
    uint8_t *p = malloc(n);
    int opened = 0, rejected = 0;
    uint32_t st = fdtb_get32(small + 8), size_st = fdtb_get32(small + 36);

    for (uint32_t off = st; off + 4 <= st + size_st; off += 4) {
        uint32_t orig = fdtb_get32(small + off);
        const uint32_t vals[] = { 0xffffffff, orig + 4, orig ^ 1 };
        for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
            memcpy(p, small, n);
            fdtb_put32(p + off, vals[k]);
            if (dt_init(p, n) < 0) {
                rejected++;
                continue;
            }
            opened++;
            struct dt_range r[DT_MAX_MEM];
            uint64_t a, s;
            uint32_t fl;
            (void)dt_memory(r, DT_MAX_MEM);
            (void)strlen(dt_bootargs());
            (void)dt_stdout_node();
            (void)dt_initrd(&a, &s);
            int node = node_at(off - st);
            for (int j = 0; j < 3 && node >= 0; j++) {
                for (int i = 0; i < 3; i++) {
                    (void)dt_reg(node, i, &a, &s);
                    (void)dt_irq(node, i, &fl);
                }
                node = fdt_next_node(dt_fdt(), node);
            }
        }
    }
    CHECK(opened > 0);
    CHECK(rejected > 0);
    printf("  mutation sweep: %d opened, %d rejected\n", opened, rejected);
    free(p);
    free(small);
    use_real();
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s virt.dtb virt-args.dtb initrd-size\n",
                argv[0]);
        return 2;
    }
    real = fdtb_load(argv[1], &real_size);
    args = fdtb_load(argv[2], &args_size);
    initrd_size = strtoul(argv[3], NULL, 0);

    MT_RUN(test_init);
    use_real();
    MT_RUN(test_memory);
    MT_RUN(test_uart);
    MT_RUN(test_gic);
    MT_RUN(test_pcie);
    MT_RUN(test_timer_psci_cpus);
    MT_RUN(test_chosen);
    MT_RUN(test_failures);
    MT_RUN(test_built_memory);
    MT_RUN(test_built_reg);
    MT_RUN(test_built_irq);
    MT_RUN(test_built_chosen);
    MT_RUN(test_mutation_sweep);

    free(real);
    free(args);
    return mt_finish();
}
