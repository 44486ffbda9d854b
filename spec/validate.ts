// Rules that involve more than one field. They run once the file and the
// flags have been merged, since either side may supply half of a conflict.
// Messages follow Docker's where Docker has the same rule.

import { SpecError } from "./errors.ts";
import type { ContainerSpec } from "./types.ts";
import { formatSize } from "./units.ts";

/** Docker's lower bound: the kernel cannot run a container in less. */
export const MIN_MEMORY = 6 * 1024 * 1024;

/**
 * Throws a SpecError on the first conflict; returns warnings (settings that
 * are accepted but have no effect) for the CLI to print.
 */
export function validateSpec(spec: ContainerSpec): string[] {
  const warnings: string[] = [];
  const fail = (msg: string): never => {
    throw new SpecError(msg);
  };

  if (spec.image !== undefined && spec.rootfs !== undefined) {
    fail("both an image and a rootfs are given; a container runs from exactly one of them");
  }
  if (spec.image === undefined && spec.rootfs === undefined) {
    fail('no image or rootfs given: name one on the command line (ctr run IMAGE) or set image or rootfs in the file');
  }

  const r = spec.resources;
  if (r.memory !== undefined && r.memory > 0 && r.memory < MIN_MEMORY) {
    fail(`Minimum memory limit allowed is 6MB (got ${formatSize(r.memory)})`);
  }
  if (r.memorySwap !== undefined && r.memorySwap !== -1) {
    if (r.memory === undefined) fail("You should always set the Memory limit when using Memoryswap limit, see usage");
    else if (r.memorySwap < r.memory) fail("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (r.memoryReservation !== undefined && r.memory !== undefined && r.memoryReservation > r.memory) {
    fail("Minimum memory limit can not be less than memory reservation limit, see usage");
  }
  if (r.cpus !== undefined && r.cpuPeriod !== undefined && r.cpuPeriod > 0) {
    fail("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  }
  if (r.cpus !== undefined && r.cpuQuota !== undefined && r.cpuQuota > 0) {
    fail("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  }

  if (spec.restart.name !== "no" && spec.autoRemove) fail("Conflicting options: --restart and --rm");

  const net = spec.network;
  const mode = net.mode;
  const sharedNet = mode.startsWith("container:");
  const noOwnNet = mode === "host" || mode === "none" || sharedNet || mode.startsWith("ns:");
  if (sharedNet) {
    if (spec.hostname !== undefined) fail("conflicting options: hostname and the network mode");
    if (net.dns.length > 0 || net.dnsSearch.length > 0) fail("conflicting options: dns and the network mode");
    if (net.extraHosts.length > 0) fail("conflicting options: custom host-to-IP mapping and the network mode");
    if (net.ports.length > 0 || net.publishAll) fail("conflicting options: port publishing and the container type network mode");
  }
  if (noOwnNet) {
    if (net.mac !== undefined) fail("conflicting options: mac-address and the network mode");
    if (net.ip !== undefined) fail("conflicting options: ip address and the network mode");
    if (net.networks.length > 0) fail(`conflicting options: network mode ${mode} cannot be combined with other networks`);
    if (net.ports.length > 0 && mode === "host") warnings.push("Published ports are discarded when using host network mode");
    if (net.ports.length > 0 && mode === "none") warnings.push("Published ports are discarded when using network mode none");
  }
  if (mode === "bridge") {
    if (net.aliases.length > 0) fail("network-scoped alias is supported only for containers in user defined networks");
    if (net.ip !== undefined) fail("user specified IP address is supported on user defined networks only");
  }

  if (spec.hostname !== undefined && spec.namespaces.uts?.mode === "host") {
    fail("conflicting options: hostname and the UTS mode");
  }
  if (spec.security.privileged && spec.usernsRemap !== undefined) {
    fail("privileged mode is incompatible with user namespace remapping; use --userns=host with --privileged");
  }

  const seen = new Set<string>();
  for (const m of spec.mounts) {
    const t = m.target.replace(/\/+$/, "");
    if (seen.has(t)) fail(`Duplicate mount point: ${m.target}`);
    seen.add(t);
  }
  return warnings;
}
