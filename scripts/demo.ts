// npm run demo: on a fresh Debian machine, as root: install what the build
// needs, build dist/ctr, make a busybox rootfs and run a real container in it.
import { $ } from "bun";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildRootfs } from "../tests/fixtures/rootfs.ts";

const root = join(import.meta.dir, "..");
const need = [!existsSync("/bin/busybox") && "busybox-static", !Bun.which("musl-gcc") && !Bun.which("gcc") && "musl-tools"].filter(Boolean) as string[];
if (need.length) {
  console.log(`installing ${need.join(" ")} (apt-get)`);
  await $`apt-get update -qq`;
  await $`apt-get install -y -qq ${need}`.env({ ...process.env, DEBIAN_FRONTEND: "noninteractive" });
}
await $`${process.execPath} ${root}/build.ts`;
const rootfs = buildRootfs("/tmp/ctr-demo-rootfs");
const ctr = `${root}/dist/ctr`;
console.log(`\n$ ctr run --rm --net none --hostname demo --memory 64m --pids-limit 64 ${rootfs} sh -c '...'\n`);
const script = [
  "echo \"hello from $(hostname), I am PID $$\"",
  "echo '--- processes I can see:'; ps",
  "echo '--- my cgroups (a namespace of my own):'; head -3 /proc/self/cgroup",
  "echo '--- network interfaces:'; ls /sys/class/net",
  "echo '--- capabilities:'; grep CapEff /proc/self/status",
  "mount -t tmpfs none /mnt 2>&1 || true",
].join("; ");
const p = Bun.spawnSync([ctr, "run", "--rm", "--net", "none", "--hostname", "demo", "--memory", "64m", "--pids-limit", "64", rootfs, "sh", "-c", script], { stdio: ["inherit", "inherit", "inherit"] });
process.exit(p.exitCode ?? 1);
