// Published ports (-p, -P): DNAT rules in ctr's nf_tables table, plus a
// userland proxy, as Docker pairs its iptables rules with docker-proxy.
//
// Why both: DNAT carries traffic that reaches the host from outside and from
// this host to its own non-loopback addresses (net/firewall.ts portRules),
// and the client's address is kept. It cannot carry 127.0.0.1 (the address
// users try first) without route_localnet and masquerading on top, and
// containers on the port's own bridge reach it through the host only by
// hairpin NAT; the proxy serves those, and it holds the port, so nothing else
// on the host binds it meanwhile. With nat = false in the host config (or no
// nf_tables) the proxy alone carries every port.
//
// The monitor is small single-threaded C that makes no decisions, so the
// proxy is a process of its own: `ctr port-proxy`, detached, started after
// the container's network exists and before the container does. It binds
// every port first and reports on a pipe, so a port already bound fails the
// run (and rm undoes the rest) instead of a silent half-start. It costs one
// Bun process (~40 MiB RSS) per container with published ports.
//
//   CLI --spawn--> ctr port-proxy ID IP PORTS  --stdout--> {"ok":true,"bindings":[...]}  (then runs on its own)
//
// ports.json in the container's directory (net/published.ts) records its pid
// and the bindings; rm stops it and removes the rules. It also leaves by
// itself when the container's directory goes.
import { type Socket as UdpSocket, createSocket } from "node:dgram";
import { closeSync, existsSync, writeFileSync, writeSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { join } from "node:path";
import { NetError } from "./errors.ts";
import { addRules, portRules } from "./firewall.ts";
import { isHelper, startHelper } from "./helper.ts";
import { type PortBinding, type PortRequest, type ProxyRecord, readProxyRecord, recordPath } from "./published.ts";

export type { PortBinding, PortRequest };
export { publishedPorts } from "./published.ts";

/** Docker's docker-proxy keeps a UDP flow this long after its last datagram. */
const UDP_FLOW_IDLE_MS = 90_000;

/**
 * Publishes a container's ports: the proxy binds them all (a free one for
 * host port 0), then, when the network uses ctr's nf_tables rules, DNAT
 * rules for the ports it got. Throws why not; rm undoes what was made.
 */
export async function publishPorts(root: string, id: string, net: { ip: string; bridge: string; nat: boolean }, ports: PortRequest[]): Promise<PortBinding[]> {
  const bindings = await startPortProxy(root, id, net.ip, ports);
  if (net.nat) addRules(bindings.flatMap((b) => portRules(id, net.ip, net.bridge, b)));
  return bindings;
}

/** Starts the proxy for a container; resolves once every port is bound, or throws why not. */
export async function startPortProxy(root: string, id: string, targetIp: string, ports: PortRequest[]): Promise<PortBinding[]> {
  const { pid, reply } = await startHelper(root, ["port-proxy", id, targetIp, JSON.stringify(ports)], "port proxy");
  if (!reply.ok) throw new NetError(`driver failed programming external connectivity on endpoint ${id.slice(0, 12)}: ${reply.error}`);
  const rec: ProxyRecord = { pid, bindings: reply.bindings as PortBinding[] };
  writeFileSync(recordPath(root, id), JSON.stringify(rec));
  return rec.bindings;
}

/** Stops the container's proxy, if it has one and it is still that proxy. */
export function stopPortProxy(root: string, id: string): void {
  const rec = readProxyRecord(root, id);
  if (!rec) return;
  // the pid may have been reused: only a port-proxy for this container is ours
  if (isHelper(rec.pid, ["port-proxy", id])) process.kill(rec.pid, "SIGTERM");
}

const inUse = (hostIp: string, p: PortRequest) => `Bind for ${hostIp}:${p.hostPort} failed: port is already allocated`;

/** One TCP port: each client connection piped to the container. */
function listenTcp(targetIp: string, hostIp: string, p: PortRequest): Promise<number> {
  const server = createServer((client) => {
    const upstream = createConnection({ host: targetIp, port: p.containerPort });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
  });
  return new Promise((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === "EADDRINUSE" ? inUse(hostIp, p) : `listen tcp ${hostIp}:${p.hostPort}: ${e.code ?? e.message}`));
    });
    server.listen({ host: hostIp, port: p.hostPort, exclusive: true }, () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : p.hostPort);
    });
  });
}

/**
 * One UDP port: a socket towards the container per client address, so
 * replies find their way back; a flow idle for 90 s is closed.
 */
function listenUdp(targetIp: string, hostIp: string, p: PortRequest): Promise<number> {
  const sock = createSocket({ type: hostIp.includes(":") ? "udp6" : "udp4" });
  const flows = new Map<string, { up: UdpSocket; last: number }>();
  sock.on("message", (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let flow = flows.get(key);
    if (!flow) {
      const up = createSocket("udp4");
      const f = { up, last: Date.now() };
      up.on("message", (reply, src) => {
        if (src.address !== targetIp) return;
        f.last = Date.now();
        sock.send(reply, from.port, from.address);
      });
      up.on("error", () => {
        up.close();
        flows.delete(key);
      });
      flows.set(key, (flow = f));
    }
    flow.last = Date.now();
    flow.up.send(msg, p.containerPort, targetIp);
  });
  setInterval(() => {
    for (const [key, f] of flows) {
      if (Date.now() - f.last > UDP_FLOW_IDLE_MS) {
        f.up.close();
        flows.delete(key);
      }
    }
  }, 10_000).unref();
  return new Promise((resolve, reject) => {
    sock.once("error", (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === "EADDRINUSE" ? inUse(hostIp, p) : `listen udp ${hostIp}:${p.hostPort}: ${e.code ?? e.message}`));
    });
    sock.bind({ address: hostIp, port: p.hostPort, exclusive: true }, () => resolve(sock.address().port));
  });
}

/** The proxy itself (`ctr port-proxy ID IP PORTS`): bind everything, report, forward until the container is gone. */
export async function runPortProxy(root: string, id: string, targetIp: string, ports: PortRequest[]): Promise<never> {
  const bindings: PortBinding[] = [];
  const report = (v: unknown) => writeSync(1, `${JSON.stringify(v)}\n`);
  try {
    for (const p of ports) {
      const hostIp = p.hostIp ?? "0.0.0.0";
      const hostPort = await (p.protocol === "udp" ? listenUdp : listenTcp)(targetIp, hostIp, p);
      bindings.push({ hostIp, hostPort, containerPort: p.containerPort, protocol: p.protocol });
    }
  } catch (e) {
    report({ ok: false, error: (e as Error).message });
    process.exit(1);
  }
  report({ ok: true, bindings });
  closeSync(1);
  process.on("SIGTERM", () => process.exit(0));
  // no orphan: leave once the container's directory has gone (rm, or a crashed rm)
  setInterval(() => {
    if (!existsSync(join(root, "containers", id))) process.exit(0);
  }, 2000);
  return new Promise<never>(() => {});
}
