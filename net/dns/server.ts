// The embedded DNS server of a user-defined network, as Docker's answers on
// 127.0.0.11: containers on the network resolve each other's names, aliases
// and short ids (also as name.<network> and name.<search domain>); every
// other name goes to the host's own resolvers (loopback
// ones too: this process lives in the host's namespace). The default bridge
// has none, as in Docker.
//
// One detached process per network with containers (`ctr net-dns NETWORK`,
// started by net/dns/lifecycle.ts), bound to UDP port 53 of the network's
// gateway address on its bridge; containers whose first network it is get
// `nameserver <gateway>`. It reads the network's record on each query, so
// run, rm, connect and disconnect show at once; it answers only clients in
// the network's subnet; it leaves when the network's record has gone or has
// no endpoint left. UDP only (no TCP fallback for large answers).
import { createSocket, type RemoteInfo } from "node:dgram";
import { readFileSync, writeSync } from "node:fs";
import { hostResolvConfPath } from "../config.ts";
import { contains, parseSubnet } from "../ipam.ts";
import { loadNetwork, type NetworkRecord } from "../store.ts";
import { answer, messageId, parseQuery, QTYPE, RCODE } from "./message.ts";

const UPSTREAM_TIMEOUT_MS = 3000;
const TTL = 600;

/** name (lower case) -> address, for every endpoint of the network */
export function namesOf(net: NetworkRecord): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of Object.values(net.endpoints)) {
    for (const n of [e.name, ...e.aliases, e.container.slice(0, 12)]) m.set(n.toLowerCase(), e.ip);
  }
  return m;
}

/**
 * A queried name's address: the name itself, or with a suffix dropped that
 * only the network's own containers add: ".<network>" (Docker's
 * name.network form) or a search domain of theirs (a resolver that tries
 * "srv.example.com" before "srv", as busybox's nslookup does).
 */
export function lookup(names: Map<string, string>, qname: string, suffixes: string[]): string | undefined {
  const direct = names.get(qname);
  if (direct) return direct;
  for (const s of suffixes) {
    const tail = `.${s.toLowerCase()}`;
    if (qname.endsWith(tail)) {
      const ip = names.get(qname.slice(0, -tail.length));
      if (ip) return ip;
    }
  }
  return undefined;
}

/** The search domains the containers' resolv.conf carries (the host's). */
export function hostSearch(conf = readOr(hostResolvConfPath())): string[] {
  return conf.split("\n").filter((l) => /^\s*search\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
}

/** The host's resolvers, as its /etc/resolv.conf lists them. */
export function hostNameservers(conf = readOr(hostResolvConfPath())): string[] {
  return conf.split("\n").filter((l) => /^\s*nameserver\s+\d+\.\d+\.\d+\.\d+\s*$/.test(l)).map((l) => l.trim().split(/\s+/)[1]!);
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** `ctr net-dns NETWORK`: bind, report on stdout, serve until the network is gone or empty. */
export async function runDnsServer(root: string, network: string): Promise<never> {
  const report = (v: unknown) => writeSync(1, `${JSON.stringify(v)}\n`);
  const first = loadNetwork(root, network);
  if (!first) {
    report({ ok: false, error: `network ${network} not found` });
    process.exit(1);
  }
  const subnet = parseSubnet(first.subnet);
  const upstreams = hostNameservers();
  const suffixes = [network, ...hostSearch()];
  const sock = createSocket({ type: "udp4", reuseAddr: false });

  /** Relays a query to the host's resolvers in turn; SERVFAIL when none answers. */
  const forward = (msg: Buffer, from: RemoteInfo, k = 0) => {
    const q = parseQuery(msg);
    if (k >= upstreams.length) {
      if (q) sock.send(answer(q, [], 0, RCODE.SERVFAIL), from.port, from.address);
      return;
    }
    const up = createSocket("udp4");
    const timer = setTimeout(() => {
      up.close();
      forward(msg, from, k + 1);
    }, UPSTREAM_TIMEOUT_MS);
    up.on("message", (reply) => {
      if (messageId(reply) !== messageId(msg)) return;
      clearTimeout(timer);
      up.close();
      sock.send(reply, from.port, from.address);
    });
    up.on("error", () => {
      clearTimeout(timer);
      up.close();
      forward(msg, from, k + 1);
    });
    up.send(msg, 53, upstreams[k]!);
  };

  sock.on("message", (msg, from) => {
    if (!contains(subnet, from.address)) return; // only the network's own containers
    const q = parseQuery(msg);
    if (!q) return;
    const net = loadNetwork(root, network);
    const ip = net && q.qclass === 1 ? lookup(namesOf(net), q.name, suffixes) : undefined;
    // a container's name: its address for A, an empty answer for other types (AAAA), as Docker's
    if (ip) sock.send(answer(q, q.qtype === QTYPE.A ? [ip] : [], TTL), from.port, from.address);
    else forward(msg, from);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      sock.once("error", reject);
      sock.bind({ address: first.gateway, port: 53, exclusive: true }, () => resolve());
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    report({ ok: false, error: `listen udp ${first.gateway}:53: ${code === "EADDRINUSE" ? "address in use (another DNS server on this host?)" : code ?? (e as Error).message}` });
    process.exit(1);
  }
  report({ ok: true });
  process.on("SIGTERM", () => process.exit(0));
  setInterval(() => {
    const net = loadNetwork(root, network);
    if (!net || net.id !== first.id || Object.keys(net.endpoints).length === 0) process.exit(0);
  }, 2000);
  return new Promise<never>(() => {});
}
