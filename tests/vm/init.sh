#!/bin/sh
# The guest's first stage, PID 1 in the initramfs (busybox-static): load the
# modules, mount the host's / (shared read-only over 9p) under a tmpfs upper
# layer, mount cgroup2 as the only hierarchy (the kernel runs with
# cgroup_no_v1=all), then switch_root into that overlay and run the job the
# host named on the kernel command line (CTRVM_JOB=path, a file on the host).
# switch_root, not chroot: user namespaces are refused to a chrooted process.
export PATH=/bin
/bin/busybox --install -s /bin

die() {
  echo "ctrvm: $*"
  echo "CTRVM-RC=125"
  poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
  insmod "/modules/$m" || die "insmod $m failed"
done </modules/order

mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /host || die "mount of the host's / over 9p failed"
mount -t tmpfs -o mode=0755 upper /upper
mkdir /upper/data /upper/work
mount -t overlay -o lowerdir=/host,upperdir=/upper/data,workdir=/upper/work overlay /newroot || die "overlay root failed"

for d in proc sys dev; do mount --move "/$d" "/newroot/$d"; done
mount -t cgroup2 -o nsdelegate cgroup2 /newroot/sys/fs/cgroup || die "cgroup2 mount failed"
# the checkout (CTRVM_KEEP=path) stays visible even where a tmpfs below goes
# over it (a CI clone under /tmp): held aside, put back on top afterwards
if [ -n "$CTRVM_KEEP" ]; then
  mkdir -p /keep
  mount --bind "/newroot$CTRVM_KEEP" /keep || die "bind of the checkout $CTRVM_KEEP failed"
fi
# writable scratch of the guest's own: state roots, test rootfs, container layers
# (overlayfs cannot use an overlayfs upper layer, so these must be tmpfs)
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
mkdir -p /newroot/var/lib/ctr
mount -t tmpfs -o mode=0755 tmpfs /newroot/var/lib/ctr
if [ -n "$CTRVM_KEEP" ]; then
  mkdir -p "/newroot$CTRVM_KEEP"
  mount --move /keep "/newroot$CTRVM_KEEP" || die "the checkout $CTRVM_KEEP could not be put back"
fi
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm

[ -n "$CTRVM_JOB" ] || die "no CTRVM_JOB= on the kernel command line"
exec switch_root /newroot /bin/busybox sh "$CTRVM_JOB"
