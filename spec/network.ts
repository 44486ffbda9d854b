// Network values: published ports, addresses, network modes, extra hosts.

import { SpecError } from "./errors.ts";
import type { PortSpec } from "./types.ts";

const IPV4_OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4_RE = new RegExp(`^${IPV4_OCTET}(\\.${IPV4_OCTET}){3}$`);

export function isIPv4(s: string): boolean {
  return IPV4_RE.test(s);
}

export function isIPv6(s: string): boolean {
  if (!s.includes(":")) return false;
  let body = s;
  let groupsNeeded = 8;
  // An embedded IPv4 tail ("::ffff:1.2.3.4") takes the place of two groups.
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    if (!isIPv4(tail)) return false;
    groupsNeeded = 6;
    body = s.slice(0, lastColon + 1);
    if (!body.endsWith("::")) body = body.slice(0, -1);
  }
  if (!/^[0-9a-fA-F:]*$/.test(body)) return false;
  const halves = body.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length < groupsNeeded : groups.length === groupsNeeded;
}

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** An IPv4 or IPv6 address, unchanged; `what` names it in the error. */
export function parseIp(s: string, what = "IP address"): string {
  const t = s.trim();
  if (!isIP(t)) throw new SpecError(`invalid ${what} ${JSON.stringify(s)}: expected an IPv4 or IPv6 address`);
  return t;
}

/** "02:42:ac:11:00:02" (or with dashes) -> lower-case colon form. */
export function parseMac(s: string): string {
  const t = s.trim();
  if (!/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(t)) {
    throw new SpecError(`invalid MAC address ${JSON.stringify(s)}: expected six hex pairs like 02:42:ac:11:00:02`);
  }
  return t.toLowerCase().replaceAll("-", ":");
}

/** "host:ip" or "host=ip" (Docker 25+) -> "host:ip"; ip may be "host-gateway". */
export function parseExtraHost(s: string): string {
  const t = s.trim();
  const sep = t.includes("=") ? t.indexOf("=") : t.indexOf(":");
  const host = sep < 0 ? "" : t.slice(0, sep);
  let ip = sep < 0 ? "" : t.slice(sep + 1);
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  if (host === "" || (ip !== "host-gateway" && !isIP(ip))) {
    throw new SpecError(`invalid extra host ${JSON.stringify(s)}: expected host:ip (e.g. db:10.0.0.5)`);
  }
  return `${host}:${ip}`;
}

/** Docker's rule for container, volume and network names. */
export const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function parseContainerName(s: string): string {
  const t = s.startsWith("/") ? s.slice(1) : s;
  if (!NAME_RE.test(t)) {
    throw new SpecError(`invalid container name ${JSON.stringify(s)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least 2 characters`);
  }
  return t;
}

/**
 * The network mode: "bridge" (also "default"), "host", "none",
 * "container:<name>", "ns:<path>" (join an existing network namespace, as
 * Podman spells it) or the name of a user-defined network.
 */
export function parseNetworkMode(s: string): string {
  const t = s.trim();
  if (t === "default" || t === "bridge") return "bridge";
  if (t === "host" || t === "none") return t;
  if (t.startsWith("container:")) return `container:${parseContainerName(t.slice("container:".length))}`;
  if (t.startsWith("ns:")) {
    const path = t.slice(3);
    if (!path.startsWith("/")) throw new SpecError(`invalid network ${JSON.stringify(s)}: ns: needs an absolute path`);
    return t;
  }
  return parseNetworkName(t);
}

/** A user-defined network's name. */
export function parseNetworkName(s: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(s)) {
    throw new SpecError(`invalid network name ${JSON.stringify(s)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return s;
}

/** A port or an inclusive range "8000-8010", as [first, last]. */
function parsePortRange(s: string, whole: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  const first = Number(m?.[1]);
  const last = m?.[2] === undefined ? first : Number(m[2]);
  if (!m || first < 1 || last > 65535 || last < first) {
    throw new SpecError(`invalid port ${JSON.stringify(whole)}: ${JSON.stringify(s)} is not a port (1-65535) or a range of them`);
  }
  return [first, last];
}

export function parseProtocol(s: string, whole = s): "tcp" | "udp" {
  const p = s.toLowerCase();
  if (p === "tcp" || p === "udp") return p;
  throw new SpecError(`invalid port ${JSON.stringify(whole)}: protocol ${JSON.stringify(s)} is not supported (use tcp or udp)`);
}

/**
 * Docker's -p forms: "80", "8080:80", "127.0.0.1:8080:80", "127.0.0.1::80",
 * "[::1]:8080:80", any of them with "/udp", and equal-length ranges
 * "8000-8001:80-81". One entry per container port; hostPort 0 means "any free
 * port", which is what Docker does for "-p 80".
 */
export function parsePort(s: string): PortSpec[] {
  let rest = s.trim();
  let protocol: "tcp" | "udp" = "tcp";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    protocol = parseProtocol(rest.slice(slash + 1), s);
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (rest.startsWith("[")) {
    // Bracketed IPv6 host address: "[::1]:8080:80".
    const close = rest.indexOf("]:");
    if (close < 0) throw new SpecError(`invalid port ${JSON.stringify(s)}: unclosed "[" around the host address`);
    hostIp = parseIp(rest.slice(1, close), "host IP");
    rest = rest.slice(close + 2);
    if (!rest.includes(":")) throw new SpecError(`invalid port ${JSON.stringify(s)}: expected [ip]:hostPort:containerPort`);
  }
  const parts = rest.split(":");
  let hostPart = "";
  let containerPart: string;
  if (parts.length === 1) {
    containerPart = parts[0] ?? "";
  } else if (parts.length === 2) {
    [hostPart = "", containerPart = ""] = parts;
  } else if (parts.length === 3 && hostIp === undefined) {
    const ip = parts[0] ?? "";
    if (ip !== "") hostIp = parseIp(ip, "host IP");
    hostPart = parts[1] ?? "";
    containerPart = parts[2] ?? "";
  } else {
    throw new SpecError(`invalid port ${JSON.stringify(s)}: expected [ip:][hostPort:]containerPort[/protocol] (put an IPv6 address in [ ])`);
  }
  const [cFirst, cLast] = parsePortRange(containerPart, s);
  const count = cLast - cFirst + 1;
  let hFirst = 0;
  if (hostPart !== "") {
    const [a, b] = parsePortRange(hostPart, s);
    if (b - a + 1 !== count) {
      throw new SpecError(`invalid port ${JSON.stringify(s)}: the host and container port ranges must be the same length`);
    }
    hFirst = a;
  }
  const out: PortSpec[] = [];
  for (let i = 0; i < count; i++) {
    const p: PortSpec = { hostPort: hFirst === 0 ? 0 : hFirst + i, containerPort: cFirst + i, protocol };
    if (hostIp !== undefined) p.hostIp = hostIp;
    out.push(p);
  }
  return out;
}

/** Adds ports, skipping exact duplicates (the file and a flag saying the same thing). */
export function addPorts(list: PortSpec[], ports: readonly PortSpec[]): void {
  for (const p of ports) {
    const same = list.some(
      (q) => q.hostIp === p.hostIp && q.hostPort === p.hostPort && q.containerPort === p.containerPort && q.protocol === p.protocol,
    );
    if (!same) list.push(p);
  }
}

/** --expose "80", "53/udp", "8000-8002/tcp" -> ["80/tcp", ...], as Docker records ExposedPorts */
export function parseExpose(s: string): string[] {
  const t = s.trim();
  const slash = t.lastIndexOf("/");
  const protocol = slash >= 0 ? parseProtocol(t.slice(slash + 1), s) : "tcp";
  const [first, last] = parsePortRange(slash >= 0 ? t.slice(0, slash) : t, s);
  return Array.from({ length: last - first + 1 }, (_, k) => `${first + k}/${protocol}`);
}

