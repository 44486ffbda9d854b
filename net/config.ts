// The host's network settings: /etc/ctr/ctr.toml (or the file $CTR_CONFIG
// names), section [network]. Every key is optional:
//
//   [network]
//   bridge = "ctr0"            # the default bridge, created on first use
//   subnet = "10.213.0.0/16"   # its subnet; the gateway is the first address
//   mtu = 1500                 # MTU of the default bridge and its veths
//   pool = "10.214.0.0/16"     # `network create` without --subnet takes a /24 from here
//   nat = true                 # outbound NAT, DNAT for -p and isolation in nf_tables (net/firewall.ts)
//   ip_forward = false         # true: ctr turns net.ipv4.ip_forward on, as Docker does by default
//
// ctr leaves ip_forward as it finds it unless told: a host that does not
// forward gets no outbound traffic from bridge containers (published ports
// still answer from this host), and `ctr version` says so.
//
// Read when a state root first needs its default network ("bridge"); the
// record it makes (networks/bridge.json) is what later runs use.
//
// 10.213/16 and 10.214/16 were picked to stay clear of Docker's (172.17/16,
// 172.18-31/16, 192.168/16) and Podman's (10.88/16, 10.89/16) defaults.
import { existsSync, readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { NetError } from "./errors.ts";
import { parseSubnet } from "./ipam.ts";
import { configPath, DEFAULTS, type NetConfig, quickSettings } from "./settings.ts";

export { DEFAULTS, hostResolvConfPath, mentions, type NetConfig } from "./settings.ts";

/**
 * The two keys read at every run (nat, ip_forward). A file that does not
 * mention them is not parsed (net/settings.ts quickSettings).
 */
export function runSettings(path = configPath()): Pick<NetConfig, "nat" | "ipForward"> {
  const quick = quickSettings(path);
  if (quick) return quick;
  const c = loadNetConfig(path);
  return { nat: c.nat, ipForward: c.ipForward };
}

export function loadNetConfig(path = configPath()): NetConfig {
  if (!existsSync(path)) return { ...DEFAULTS };
  let doc: Record<string, unknown>;
  try {
    doc = parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new NetError(`${path}: ${(e as Error).message.split("\n")[0]}`);
  }
  const n = (doc.network ?? {}) as Record<string, unknown>;
  const c: NetConfig = { ...DEFAULTS, file: path };
  for (const key of ["bridge", "subnet", "pool"] as const) {
    if (n[key] === undefined) continue;
    if (typeof n[key] !== "string") throw new NetError(`${path}: network.${key} must be a string`);
    c[key] = n[key] as string;
  }
  for (const [key, field] of [["nat", "nat"], ["ip_forward", "ipForward"]] as const) {
    if (n[key] === undefined) continue;
    if (typeof n[key] !== "boolean") throw new NetError(`${path}: network.${key} must be true or false`);
    c[field] = n[key] as boolean;
  }
  if (n.mtu !== undefined) {
    if (typeof n.mtu !== "number" || n.mtu < 68 || n.mtu > 65535) throw new NetError(`${path}: network.mtu must be a number from 68 to 65535`);
    c.mtu = n.mtu;
  }
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(c.bridge)) throw new NetError(`${path}: network.bridge ${JSON.stringify(c.bridge)} is not a valid interface name (at most 15 characters)`);
  parseSubnet(c.subnet);
  parseSubnet(c.pool);
  return c;
}
