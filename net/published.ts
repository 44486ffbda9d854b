// What a container publishes, as recorded in its directory (ports.json,
// written by net/ports.ts) and as `ps`, `port` and `inspect` show it. Kept
// apart from the proxy so that listings load no socket code.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface PortBinding {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

/** A port asked for: hostPort 0 is any free one. */
export interface PortRequest {
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

export interface ProxyRecord {
  pid: number;
  bindings: PortBinding[];
}

export const recordPath = (root: string, id: string) => join(root, "containers", id, "ports.json");

export function readProxyRecord(root: string, id: string): ProxyRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(root, id), "utf8"));
  } catch {
    return undefined;
  }
}

/** The bindings a container holds (for inspect, ps, port). */
export function publishedPorts(root: string, id: string): PortBinding[] {
  return readProxyRecord(root, id)?.bindings ?? [];
}

const portNum = (key: string) => Number(key.split("/")[0]);

/**
 * Docker's PORTS column: "0.0.0.0:8080->80/tcp, 53/udp": the bindings, then
 * exposed ports that are not published, ordered by container port.
 */
export function formatPorts(bindings: PortBinding[], exposed: string[] = []): string {
  const published = new Set(bindings.map((b) => `${b.containerPort}/${b.protocol}`));
  const items = [
    ...bindings.map((b) => ({ key: `${b.containerPort}/${b.protocol}`, text: `${b.hostIp.includes(":") ? `[${b.hostIp}]` : b.hostIp}:${b.hostPort}->${b.containerPort}/${b.protocol}` })),
    ...exposed.filter((e) => !published.has(e)).map((e) => ({ key: e, text: e })),
  ];
  items.sort((a, b) => portNum(a.key) - portNum(b.key) || a.key.localeCompare(b.key));
  return [...new Set(items.map((i) => i.text))].join(", ");
}

/** `docker port` lines: "80/tcp -> 0.0.0.0:8080", or only "0.0.0.0:8080" for one asked-for port. */
export function portLines(bindings: PortBinding[], only?: { port: number; protocol?: string }): string[] {
  const sorted = [...bindings].sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
  const addr = (b: PortBinding) => `${b.hostIp.includes(":") ? `[${b.hostIp}]` : b.hostIp}:${b.hostPort}`;
  if (only) return sorted.filter((b) => b.containerPort === only.port && b.protocol === (only.protocol ?? "tcp")).map(addr);
  return sorted.map((b) => `${b.containerPort}/${b.protocol} -> ${addr(b)}`);
}

/**
 * -P: the exposed ports ("80/tcp") not published already, each on a free host
 * port (hostPort 0), after the explicit ones.
 */
export function publishExposed(ports: readonly PortRequest[], exposed: readonly string[]): PortRequest[] {
  const out = [...ports];
  for (const e of exposed) {
    const [port, proto] = e.split("/");
    const p: PortRequest = { hostPort: 0, containerPort: Number(port), protocol: proto === "udp" ? "udp" : "tcp" };
    if (!out.some((q) => q.containerPort === p.containerPort && q.protocol === p.protocol)) out.push(p);
  }
  return out;
}
