// The bridge driver: a Linux bridge per network with the gateway address on
// it, and per endpoint a veth pair whose host end is a port of the bridge and
// whose other end is created straight inside the container's namespace.
import { allocate, macFor, parseSubnet } from "./ipam.ts";
import { IFF_UP, type Netlink } from "./netlink/client.ts";
import type { Endpoint, NetworkRecord } from "./store.ts";

/** The bridge exists, is up and carries the gateway address (one request when it already does). */
export function ensureBridge(host: Netlink, net: NetworkRecord): number {
  const have = host.link(net.bridge);
  if (have && have.flags & IFF_UP) return have.index;
  host.createBridge(net.bridge, net.mtu);
  const index = host.index(net.bridge);
  host.addAddress(index, net.gateway, parseSubnet(net.subnet).prefix);
  host.setLink(index, { up: true });
  return index;
}

/** The host end of a container's veth: "veth" + 8 hex of the id, + the interface number past eth0. */
export function vethName(id: string, ifname: string): string {
  const n = Number(ifname.replace(/^eth/, ""));
  return `veth${id.slice(0, 8)}${n ? n : ""}`;
}

/** Picks the endpoint's address; the caller records it before anything is created. */
export function planEndpoint(net: NetworkRecord, e: Omit<Endpoint, "ip" | "mac" | "veth">, requestedIp?: string, mac?: string): Endpoint {
  const taken = [...Object.values(net.endpoints).map((x) => x.ip), ...(net.released ?? []).map((r) => r.ip)];
  const ip = allocate(parseSubnet(net.subnet), net.gateway, taken, requestedIp);
  return { ...e, ip, mac: mac ?? macFor(ip), veth: vethName(e.container, e.ifname) };
}

/**
 * Wires a recorded endpoint: the veth pair (host end in the bridge, up; the
 * peer named ifname inside the namespace), then inside: up, address and,
 * for the container's first non-internal network, the default route.
 */
export function wireEndpoint(host: Netlink, inside: Netlink, netnsFd: number, net: NetworkRecord, e: Endpoint, defaultRoute: boolean): void {
  const bridge = ensureBridge(host, net);
  host.createVeth({ name: e.veth, peerName: e.ifname, peerNetnsFd: netnsFd, peerMac: e.mac, master: bridge, mtu: net.mtu });
  const index = inside.index(e.ifname);
  inside.setLink(index, { up: true });
  inside.addAddress(index, e.ip, parseSubnet(net.subnet).prefix);
  if (defaultRoute && !net.internal) inside.addRoute({ dst: "0.0.0.0/0", gateway: net.gateway });
}
