// Published ports (-p) through a userland proxy, like docker-proxy.
//
// Why a proxy: this host has neither nft nor iptables binaries, and DNAT to a
// container from 127.0.0.1 (the case users try first) needs route_localnet
// and masquerading on top of the DNAT rules; Docker itself uses its proxy for
// loopback. The monitor is small single-threaded C that makes no decisions,
// so the proxy is a process of its own: `ctr port-proxy`, detached, started
// after the container's network exists and before the container does. It
// binds every port first and reports on a pipe, so a port already bound
// fails the run (and rm undoes the rest) instead of a silent half-start.
// It costs one Bun process (~40 MiB RSS) per container with -p.
//
//   CLI --spawn--> ctr port-proxy ID IP PORTS  --stdout--> {"ok":true,"bindings":[...]}  (then runs on its own)
//
// ports.json in the container's directory records its pid and the bindings;
// rm stops it. It also leaves by itself when the container's directory goes.
import { closeSync, existsSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import { NetError } from "./errors.ts";

export interface PortRequest {
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

export interface PortBinding {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

interface ProxyRecord {
  pid: number;
  bindings: PortBinding[];
}

const recordPath = (root: string, id: string) => join(root, "containers", id, "ports.json");

/** Starts the proxy for a container; resolves once every port is bound, or throws why not. */
export async function startPortProxy(root: string, id: string, targetIp: string, ports: PortRequest[]): Promise<PortBinding[]> {
  const udp = ports.find((p) => p.protocol === "udp");
  if (udp) throw new NetError(`publishing ${udp.containerPort}/udp is not supported yet: the userland proxy forwards tcp only`);
  const self = Bun.main.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, Bun.main];
  const proc = Bun.spawn([...self, "--root", root, "port-proxy", id, targetIp, JSON.stringify(ports)], {
    stdio: ["ignore", "pipe", "ignore"],
    detached: true,
  });
  const line = await firstLine(proc.stdout, 5000);
  let reply: { ok: boolean; bindings?: PortBinding[]; error?: string };
  try {
    reply = JSON.parse(line);
  } catch {
    proc.kill("SIGKILL");
    throw new NetError(`port proxy did not start${line ? `: ${line}` : ""}`);
  }
  if (!reply.ok) throw new NetError(`driver failed programming external connectivity on endpoint ${id.slice(0, 12)}: ${reply.error}`);
  const rec: ProxyRecord = { pid: proc.pid, bindings: reply.bindings! };
  writeFileSync(recordPath(root, id), JSON.stringify(rec));
  proc.unref();
  return rec.bindings;
}

async function firstLine(stream: ReadableStream<Uint8Array>, timeoutMs: number): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (!text.includes("\n") && Date.now() < deadline) {
    const r = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => ({ done: true, value: undefined }))]);
    if (r.done) break;
    text += new TextDecoder().decode(r.value);
  }
  reader.releaseLock();
  return text.split("\n")[0]!.trim();
}

/** The bindings a container's proxy holds (for inspect). */
export function publishedPorts(root: string, id: string): PortBinding[] {
  try {
    return (JSON.parse(readFileSync(recordPath(root, id), "utf8")) as ProxyRecord).bindings;
  } catch {
    return [];
  }
}

/** Stops the container's proxy, if it has one and it is still that proxy. */
export function stopPortProxy(root: string, id: string): void {
  let rec: ProxyRecord;
  try {
    rec = JSON.parse(readFileSync(recordPath(root, id), "utf8"));
  } catch {
    return;
  }
  try {
    // the pid may have been reused: only a port-proxy for this container is ours
    if (!readFileSync(`/proc/${rec.pid}/cmdline`, "utf8").includes(id)) return;
    process.kill(rec.pid, "SIGTERM");
  } catch {}
}

/** The proxy itself (`ctr port-proxy ID IP PORTS`): bind everything, report, forward until the container is gone. */
export async function runPortProxy(root: string, id: string, targetIp: string, ports: PortRequest[]): Promise<never> {
  const servers: Server[] = [];
  const bindings: PortBinding[] = [];
  const report = (v: unknown) => writeSync(1, `${JSON.stringify(v)}\n`);
  try {
    for (const p of ports) {
      const hostIp = p.hostIp ?? "0.0.0.0";
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
      await new Promise<void>((resolve, reject) => {
        server.once("error", (e: NodeJS.ErrnoException) => {
          reject(new Error(e.code === "EADDRINUSE" ? `Bind for ${hostIp}:${p.hostPort} failed: port is already allocated` : `listen tcp ${hostIp}:${p.hostPort}: ${e.code ?? e.message}`));
        });
        server.listen({ host: hostIp, port: p.hostPort, exclusive: true }, () => resolve());
      });
      const addr = server.address();
      servers.push(server);
      bindings.push({ hostIp, hostPort: typeof addr === "object" && addr ? addr.port : p.hostPort, containerPort: p.containerPort, protocol: "tcp" });
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
