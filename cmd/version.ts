import { kernelFeatures } from "../runtime/features.ts";
import { loadNetConfig } from "../net/config.ts";
import { nftablesStatus } from "../net/firewall.ts";
import { readFileSync } from "node:fs";
import { type Verb, out, parseSimple } from "./_shared.ts";

declare const CTR_VERSION: string, CTR_COMMIT: string, CTR_BUN_VERSION: string;

const HELP = `Usage:  ctr version [--json]

Show the version, the build, and the kernel features ctr detected

Example:
  ctr version --json`;

const version: Verb = async (args) => {
  const { opts } = parseSimple(args, [{ name: "json", help: "Print as JSON" }, { name: "format", short: "f", value: true, help: "Accepted for docker compatibility: 'json'" }], HELP);
  const info = {
    Version: typeof CTR_VERSION === "string" ? CTR_VERSION : "dev",
    GitCommit: typeof CTR_COMMIT === "string" ? CTR_COMMIT : "dev",
    BunVersion: typeof CTR_BUN_VERSION === "string" ? CTR_BUN_VERSION : Bun.version,
    Os: process.platform,
    Arch: process.arch,
    Features: kernelFeatures(),
    Network: networkPaths(),
  };
  if (opts.json || opts.format === "json") return out(JSON.stringify(info, null, 2));
  const f = info.Features;
  const yes = (b: boolean) => (b ? "yes" : "no");
  out(`ctr:
 Version:        ${info.Version}
 Git commit:     ${info.GitCommit}
 Built with:     Bun ${info.BunVersion}
 OS/Arch:        ${info.Os}/${info.Arch}
Kernel:
 Release:        ${f.kernel}
 Cgroup mode:    ${f.cgroupMode}
 User namespaces: ${yes(f.userNamespaces)}
 Overlayfs:      ${yes(f.overlayfs)}
 Seccomp:        ${yes(f.seccomp)}
Network:
 nf_tables:      ${info.Network.NfTables}
 Published ports: ${info.Network.PublishedPorts}
 Outbound NAT:   ${info.Network.OutboundNat}
 IPv4 forwarding: ${info.Network.IpForward}`);
};
/** Which path published ports and outbound traffic take on this host (net/ports.ts, net/firewall.ts). */
function networkPaths() {
  const cfg = loadNetConfig();
  const nft = nftablesStatus();
  const usable = cfg.nat && nft === "yes";
  let fwd = "unknown";
  try {
    fwd = readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim() === "1" ? "on" : "off (bridge containers reach nothing past this host; set ip_forward = true under [network] in ctr.toml)";
  } catch {}
  return {
    NfTables: cfg.nat ? nft : `${nft}, not used (nat = false)`,
    PublishedPorts: usable ? "nftables DNAT (table ip ctr, over netlink) + userland proxy for loopback" : "userland proxy only",
    OutboundNat: usable ? "nftables masquerade (table ip ctr)" : "none",
    IpForward: cfg.ipForward ? "on (ctr turns it on: ip_forward = true)" : fwd,
  };
}
export default version;
