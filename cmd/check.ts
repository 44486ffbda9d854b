import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { busyboxRootfs, type Check, judgeProbe, kernelChecks, PROBE, PROBE_LIMITS } from "../runtime/check.ts";
import { dataRoot, stateRoot } from "../runtime/state/paths.ts";
import { out, parseSimple, type Verb } from "./_shared.ts";

const HELP = `Usage:  ctr check [OPTIONS] [IMAGE|ROOTFS]

Check this host: kernel features, the cgroup layout, and a real container with
memory, pids and cpu limits on the default bridge network. Without IMAGE or
ROOTFS the container runs the host's static busybox (busybox-static).
Exits 1 when a required feature is missing.

Example:
  ctr check
  ctr check --net none --json busybox`;

const check: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, [
    { name: "net", value: true, help: "Network of the probe container: bridge (default) or none" },
    { name: "json", help: "Print the checks as JSON" },
  ], HELP);
  const net = (opts.net as string | undefined) ?? "bridge";
  const checks: Check[] = kernelChecks();
  // the probe rootfs beside the images (/tmp or /run may be mounted noexec)
  mkdirSync(dataRoot(), { recursive: true });
  const tmp = mkdtempSync(join(dataRoot(), "check-"));
  try {
    let target = positionals[0];
    if (!target) target = busyboxRootfs(join(tmp, "rootfs"));
    const self = Bun.main.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, Bun.main];
    const limits = ["--memory", String(PROBE_LIMITS.memory), "--pids-limit", String(PROBE_LIMITS.pids), "--cpus", String(PROBE_LIMITS.cpus)];
    const p = Bun.spawnSync([...self, "run", "--rm", "--name", `ctr-check-${process.pid}`, "--net", net, ...limits, target, "sh", "-c", PROBE], {
      env: { ...process.env, CTR_ROOT: stateRoot() }, stdin: "ignore", stdout: "pipe", stderr: "pipe",
    });
    checks.push(...judgeProbe(p.exitCode ?? -1, p.stdout.toString(), p.stderr.toString(), net !== "none"));
  } catch (e) {
    checks.push({ name: "container", ok: false, required: true, detail: (e as Error).message });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const missing = checks.filter((c) => c.required && !c.ok);
  if (opts.json) out(JSON.stringify({ ok: missing.length === 0, checks }, null, 2));
  else {
    for (const c of checks) out(`${c.ok ? "[ok]  " : c.required ? "[FAIL]" : "[warn]"} ${c.name.padEnd(26)} ${c.detail}`);
    out(missing.length ? `${missing.length} required feature(s) missing: ${missing.map((c) => c.name).join(", ")}` : "ctr works on this host");
  }
  return missing.length ? 1 : 0;
};
export default check;
