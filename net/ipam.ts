// IPv4 address management, pure: subnets, gateways, the next free address,
// overlaps, MACs derived from addresses (as Docker does: 02:42 + the four
// address bytes, so an address always comes with the same MAC). The lock and
// the leases on disk are in net/store.ts.
import { NetError } from "./errors.ts";
import { vethName } from "./modes.ts";
import type { Endpoint, NetworkRecord } from "./store.ts";

export interface Subnet {
  /** network address as an unsigned 32-bit number */
  base: number;
  prefix: number;
}


// Parsed by hand, not by regular expressions: each pattern is compiled on
// its first use, which costs a cold `ctr run` about 0.2 ms apiece.
const isDigits = (x: string, max: number) => {
  if (x.length < 1 || x.length > max) return false;
  for (let i = 0; i < x.length; i++) if (x.charCodeAt(i) < 48 || x.charCodeAt(i) > 57) return false;
  return true;
};

export function ipToInt(ip: string): number {
  const p = ip.split(".");
  let n = 0;
  for (const x of p) {
    if (p.length !== 4 || !isDigits(x, 3) || Number(x) > 255) throw new NetError(`invalid IPv4 address: ${JSON.stringify(ip)}`);
    n = n * 256 + Number(x);
  }
  return n;
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

const size = (s: Subnet) => 2 ** (32 - s.prefix);

/** "10.1.0.0/16"; host bits must be zero, as Docker asks. */
export function parseSubnet(cidr: string): Subnet {
  const [addr = "", len = "", extra] = cidr.trim().split("/");
  if (extra !== undefined || !addr || !isDigits(addr.replaceAll(".", "0"), addr.length) || !isDigits(len, 2)) {
    throw new NetError(`invalid subnet ${JSON.stringify(cidr)}: expected an IPv4 CIDR such as 10.1.0.0/24`);
  }
  const base = ipToInt(addr);
  const prefix = Number(len);
  if (prefix < 8 || prefix > 30) throw new NetError(`invalid subnet ${cidr}: the prefix length must be between 8 and 30`);
  if (base % size({ base, prefix }) !== 0) {
    throw new NetError(`invalid subnet ${cidr}: host bits are set (did you mean ${intToIp(base - (base % size({ base, prefix })))}/${prefix}?)`);
  }
  return { base, prefix };
}

export const formatSubnet = (s: Subnet) => `${intToIp(s.base)}/${s.prefix}`;

export function contains(s: Subnet, ip: string): boolean {
  const n = ipToInt(ip);
  return n >= s.base && n < s.base + size(s);
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** The first host address: Docker's default gateway. */
export const firstHost = (s: Subnet) => intToIp(s.base + 1);

/**
 * The lowest free host address (not the network, broadcast or gateway
 * address, not taken), or the requested one if it is free and in the subnet.
 */
export function allocate(s: Subnet, gateway: string, taken: Iterable<string>, requested?: string): string {
  const used = new Set(taken);
  used.add(gateway);
  if (requested) {
    const n = ipToInt(requested);
    if (!contains(s, requested) || n === s.base || n === s.base + size(s) - 1) {
      throw new NetError(`address ${requested} is not a host address of ${formatSubnet(s)}`);
    }
    if (used.has(requested)) throw new NetError(`Address already in use: ${requested} on ${formatSubnet(s)}`);
    return requested;
  }
  for (let n = s.base + 1; n < s.base + size(s) - 1; n++) {
    const ip = intToIp(n);
    if (!used.has(ip)) return ip;
  }
  throw new NetError(`no free address left in ${formatSubnet(s)}`);
}

/**
 * The first /`prefix` block of `pool` that overlaps none of `used`: how a
 * network created without --subnet gets one.
 */
export function nextSubnet(pool: Subnet, prefix: number, used: Subnet[]): Subnet {
  const step = 2 ** (32 - prefix);
  for (let base = pool.base; base + step <= pool.base + size(pool); base += step) {
    const cand = { base, prefix };
    if (!used.some((u) => overlaps(u, cand))) return cand;
  }
  throw new NetError(`no free /${prefix} subnet left in the pool ${formatSubnet(pool)}: give one with --subnet`);
}

/** 02:42 and the address, like Docker. */
export function macFor(ip: string): string {
  return ["02", "42", ...ip.split(".").map((x) => Number(x).toString(16).padStart(2, "0"))].join(":");
}

/** Picks the endpoint's address; the caller records it before anything is created. */
export function planEndpoint(net: NetworkRecord, e: Omit<Endpoint, "ip" | "mac" | "veth">, requestedIp?: string, mac?: string): Endpoint {
  const taken = [...Object.values(net.endpoints).map((x) => x.ip), ...(net.released ?? []).map((r) => r.ip)];
  const ip = allocate(parseSubnet(net.subnet), net.gateway, taken, requestedIp);
  return { ...e, ip, mac: mac ?? macFor(ip), veth: vethName(e.container, e.ifname) };
}
