// A container's /etc/hosts and /etc/resolv.conf, as text (net/begin.ts
// writes them before the container starts; net/container.ts rewrites hosts
// as peers come and go).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostResolvConfPath } from "./settings.ts";
import { listNetworks, loadNetwork, type NetworkRecord } from "./store.ts";

const LOCALHOST = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
`;

export function hostsBase(ip: string, hostname: string, extraHosts: string[]): string {
  const extra = extraHosts.map((h) => {
    const i = h.indexOf(":");
    return `${h.slice(i + 1)}\t${h.slice(0, i)}\n`;
  });
  return `${LOCALHOST}${extra.join("")}${ip}\t${hostname}\n`;
}

/** --dns/--dns-search, else the host's resolv.conf without loopback servers (unreachable from a namespace). */
export function resolvConf(dns: string[], search: string[], hostConf = readHost(hostResolvConfPath())): string {
  // read word by word rather than with regular expressions (compiled on first use: time a cold run pays)
  const fromHost: string[] = [], fromSearch: string[] = [], options: string[] = [];
  for (const line of hostConf.split("\n")) {
    const w = line.replaceAll("\t", " ").replaceAll("\r", " ").split(" ").filter((x) => x !== "");
    if (w.length < 2) continue; // "options" alone is no options line
    if (w[0] === "nameserver") fromHost.push(w[1]!);
    else if (w[0] === "search") fromSearch.push(...w.slice(1));
    else if (w[0] === "options") options.push(line.trim());
  }
  let servers = dns.length ? dns : fromHost.filter((s) => !s.startsWith("127.") && s !== "::1");
  if (servers.length === 0) servers = ["8.8.8.8", "8.8.4.4"]; // Docker's fallback
  const domains = search.length ? search : fromSearch;
  return [...servers.map((s) => `nameserver ${s}`), ...(domains.length ? [`search ${domains.join(" ")}`] : []), ...options, ""].join("\n");
}

function readHost(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * Rewrites /etc/hosts of every container on these networks: its own lines,
 * then its peers on each user-defined network it shares with them (name,
 * aliases, short id), as Docker's DNS would answer. Written in place: the
 * file is bind-mounted, so it must stay the same inode.
 */
export function refreshHosts(root: string, touched: NetworkRecord[]): void {
  // the default network lists no peers: joining or leaving it changes no one's file
  touched = touched.filter((n) => !n.builtin);
  if (touched.length === 0) return;
  const all = listNetworks(root);
  const members = new Set(touched.flatMap((n) => Object.keys(loadNetwork(root, n.name)?.endpoints ?? {})));
  for (const id of members) {
    const dir = join(root, "containers", id);
    let text: string;
    try {
      text = readFileSync(join(dir, "hosts.base"), "utf8");
    } catch {
      continue; // not written yet, or gone
    }
    for (const n of all) {
      if (n.builtin || !n.endpoints[id]) continue;
      for (const [peer, e] of Object.entries(n.endpoints)) {
        if (peer !== id) text += `${e.ip}\t${[e.name, ...e.aliases, peer.slice(0, 12)].join(" ")}\n`;
      }
    }
    writeFileSync(join(dir, "hosts"), text);
  }
}
