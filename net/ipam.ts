// IPv4 address management, pure: subnets, gateways, the next free address,
// overlaps, MACs derived from addresses (as Docker does: 02:42 + the four
// address bytes, so an address always comes with the same MAC). The lock and
// the leases on disk are in net/store.ts.
import { NetError } from "./errors.ts";

export interface Subnet {
  /** network address as an unsigned 32-bit number */
  base: number;
  prefix: number;
}


export function ipToInt(ip: string): number {
  const p = ip.split(".");
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) throw new NetError(`invalid IPv4 address: ${JSON.stringify(ip)}`);
  return p.reduce((a, x) => a * 256 + Number(x), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

const size = (s: Subnet) => 2 ** (32 - s.prefix);

/** "10.1.0.0/16"; host bits must be zero, as Docker asks. */
export function parseSubnet(cidr: string): Subnet {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) throw new NetError(`invalid subnet ${JSON.stringify(cidr)}: expected an IPv4 CIDR such as 10.1.0.0/24`);
  const base = ipToInt(m[1]!);
  const prefix = Number(m[2]);
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
