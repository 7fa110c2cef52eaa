/* Starting user space the way Linux does (init/main.c, kernel_init):
 * pid 1 is `rdinit=` (default /init) from the initramfs; failing that,
 * `init=`, then (unless rdinit= named the missing program) /sbin/init,
 * /etc/init, /bin/init, /bin/sh.  The words after
 * `--` on the command line are init's arguments.  With no initramfs and
 * neither argument given there is no user space and the serial console
 * stays with the kernel monitor. */
#include "cmdline.h"
#include "dt.h"
#include "panic.h"
#include "printk.h"
#include "proc.h"
#include "tty.h"
#include "vfs.h"

#define INIT_ARGS_MAX   32

static bool exists(const char *path)
{
    struct file *f;

    if (vfs_open_kernel(path, O_RDONLY, &f))
        return false;
    file_put(f);
    return true;
}

void userspace_start(void)
{
    uint64_t rs, re;
    bool initrd = dt_initrd(&rs, &re) && re > rs;
    const char *rdinit = cmdline_get("rdinit");
    const char *init = cmdline_get("init");
    static const char *const fallback[] = {
        "/sbin/init", "/etc/init", "/bin/init", "/bin/sh",
    };
    const char *path = NULL;

    if (!initrd && !rdinit && !init)
        return;
    const char *first = rdinit && *rdinit ? rdinit : "/init";
    if (exists(first)) {
        path = first;
    } else {
        if (rdinit)
            klog("init: rdinit=%s not found in the initramfs", rdinit);
        if (init && *init && exists(init))
            path = init;
        else if (init)
            klog("init: init=%s not found", init);
        /* An explicit rdinit= that is missing does not fall back to the
         * default list: Linux then wants a root filesystem (root=), and we
         * have none yet, so the boot ends with the message above. */
        for (unsigned i = 0; !path && !rdinit && i < ARRAY_SIZE(fallback); i++)
            if (exists(fallback[i]))
                path = fallback[i];
    }
    if (!path) {
        klog("init: no working init found (tried rdinit=, init=, /sbin/init, "
             "/etc/init, /bin/init, /bin/sh); powering off");
        kernel_poweroff(1);
    }

    static char *argv[INIT_ARGS_MAX + 1];
    int argc;
    const char *const *words = cmdline_init_args(&argc);
    argc = argc > INIT_ARGS_MAX ? INIT_ARGS_MAX : argc;
    for (int i = 0; i < argc; i++)
        argv[i] = (char *)words[i];
    argv[argc] = NULL;
    tty_init();
    klog("init: starting %s", path);
    int err = proc_start_init(path, argv, NULL);
    if (err) {
        klog("init: cannot start %s: error %d; powering off", path, err);
        kernel_poweroff(1);
    }
}

