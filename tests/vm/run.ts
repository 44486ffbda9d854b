// Boots a pure cgroup-v2 guest under qemu and runs ctr's guest tests in it
// (`bun run test:vm`; .ci/run calls it after npm test). The guest sees the
// host's / read-only over 9p (with a tmpfs on top), so it runs this
// checkout's dist/ctr and the host's own Bun unchanged; it has one blank
// virtio disk for the block I/O tests, no network card, and cgroup2 only.
//
//   bun tests/vm/run.ts                      the guest tests (GUEST_TESTS, below)
//   bun tests/vm/run.ts sh -c 'cat /proc/self/cgroup'   any command in the guest
//
// qemu exits 0 even when the guest panics, so the result is the marker line
// the guest prints last (CTRVM-RC=<n>); no marker (a panic, a hang cut short by
// the timeout) is a failure.
import { existsSync, mkdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { guestAssets } from "./assets.ts";

const REPO = resolve(import.meta.dir, "../..");
const BUN = process.execPath;
/** What runs in the guest (each passes on the host too): the cgroup and runtime checks, the device allow-list, `ctr check`. */
export const GUEST_TESTS = ["./tests/vm/guest.test.ts", "./tests/integration/devices.test.ts", "./tests/integration/check.test.ts"];
export const MARKER = /^CTRVM-RC=(\d+)\s*$/m;

export interface GuestRun {
  /** the guest command's exit status; undefined when the marker never came */
  rc?: number;
  output: string;
  timedOut: boolean;
}

/** TCG where KVM is missing or is kvm_pvm (which boots only its own guest kernels). */
function accel(): string[] {
  if (existsSync("/dev/kvm") && !existsSync("/sys/module/kvm_pvm") && process.env.CTR_VM_ACCEL !== "tcg") return ["-accel", "kvm", "-cpu", "host"];
  return ["-accel", "tcg,thread=multi", "-cpu", "max"];
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** The guest's PID 1 after switch_root: set up, run the command, print the marker, power off. */
function jobScript(argv: string[], env: Record<string, string>): string {
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${quote(v)}`);
  return [
    "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TMPDIR=/tmp",
    ...exports,
    "/bin/busybox hostname ctr-vm",
    "/bin/busybox ip link set lo up",
    `cd ${quote(REPO)}`,
    'echo "ctrvm: $(uname -r), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"',
    // in the background and waited for: as PID 1 the shell reaps every orphan meanwhile
    `${argv.map(quote).join(" ")} &`,
    "wait $!",
    "rc=$?",
    'echo "CTRVM-RC=$rc"',
    "sync",
    "echo o > /proc/sysrq-trigger",
    "sleep 30",
    "",
  ].join("\n");
}

export async function runInGuest(argv: string[], opts: { timeoutMs?: number; env?: Record<string, string>; echo?: boolean } = {}): Promise<GuestRun> {
  const t0 = performance.now();
  if (!Bun.which("qemu-system-x86_64")) throw new Error("qemu-system-x86_64 is missing: apt-get install qemu-system-x86");
  const { kernel, initramfs, key } = guestAssets();
  const work = join("/var/tmp", `ctr-vm-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    const disk = join(work, "disk.img");
    // a blank disk the guest tests may write to raw (block I/O limits)
    writeFileSync(disk, "");
    truncateSync(disk, 64 * 1024 * 1024);
    writeFileSync(join(work, "job.sh"), jobScript(argv, { CTR_TEST_DISK: "/dev/vda", CTR_VM_EXPECT_MODE: "v2", ...opts.env }));
    // the checkout may lie under /tmp or /run, which the guest covers with its own tmpfs (init.sh keeps it)
    if (/\s/.test(REPO)) throw new Error(`the checkout's path ${JSON.stringify(REPO)} has white space: the kernel command line cannot carry it`);
    const append = ["console=ttyS0", "loglevel=4", "panic=-1", "cgroup_no_v1=all", `CTRVM_JOB=${work}/job.sh`, `CTRVM_KEEP=${REPO}`].join(" ");
    const qemu = [
      "qemu-system-x86_64", "-nodefaults", "-no-user-config", "-no-reboot", "-display", "none", "-serial", "stdio",
      ...accel(), "-smp", "2", "-m", "2048",
      "-kernel", kernel, "-initrd", initramfs, "-append", append,
      "-virtfs", "local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap",
      "-drive", `file=${disk},if=virtio,format=raw,cache=none`,
    ];
    if (opts.echo) console.log(`ctrvm: booting ${key} (${accel().join(" ")})`);
    const p = Bun.spawn(qemu, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill("SIGKILL");
    }, opts.timeoutMs ?? 300_000);
    let output = "";
    const dec = new TextDecoder();
    for await (const chunk of p.stdout) {
      const s = dec.decode(chunk, { stream: true }).replaceAll("\r", "");
      output += s;
      if (opts.echo) process.stdout.write(s);
    }
    const err = await new Response(p.stderr).text();
    await p.exited;
    clearTimeout(timer);
    if (err.trim()) output += `\nqemu: ${err.trim()}\n`;
    const m = MARKER.exec(output);
    if (opts.echo) {
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      if (timedOut) console.log(`ctrvm: no result within ${(opts.timeoutMs ?? 300_000) / 1000}s: qemu killed`);
      else if (!m) console.log(`ctrvm: the guest ended without a CTRVM-RC marker (a panic?)${err.trim() ? `; qemu said: ${err.trim()}` : ""}`);
      console.log(`ctrvm: ${m ? `guest exit status ${m[1]}` : "failed"} after ${secs}s`);
    }
    return { rc: m ? Number(m[1]) : undefined, output, timedOut };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  if (process.getuid?.() !== 0) throw new Error("the VM test needs root (it reads the host's / over 9p as the guest's root)");
  const given = process.argv.slice(2).filter((a, i) => i > 0 || a !== "--");
  const argv = given.length ? given : [BUN, "test", "--timeout", "120000", ...GUEST_TESTS];
  const r = await runInGuest(argv, { echo: true, timeoutMs: Number(process.env.CTR_VM_TIMEOUT ?? 300) * 1000 });
  process.exit(r.rc === undefined ? 1 : r.rc);
}
