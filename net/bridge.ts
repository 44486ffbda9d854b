// The bridge driver: a Linux bridge per network with the gateway address on
// it, and per endpoint a veth pair whose host end is a port of the bridge and
// whose other end is created straight inside the container's namespace.
import { parseSubnet } from "./ipam.ts";
import { IFF_UP, type Netlink, NetlinkError } from "./netlink/client.ts";
import type { Endpoint, NetworkRecord } from "./store.ts";
export { planEndpoint } from "./ipam.ts";
export { bridgeUp, vethName } from "./modes.ts";
import { trace } from "../runtime/trace.ts";

/** The bridge exists, is up and carries the gateway address (one request when it already does). */
export function ensureBridge(host: Netlink, net: NetworkRecord): number {
  const have = host.linkState(net.bridge);
  if (have && have.flags & IFF_UP) return have.index;
  host.createBridge(net.bridge, net.mtu);
  const index = host.index(net.bridge);
  host.addAddress(index, net.gateway, parseSubnet(net.subnet).prefix);
  host.setLink(index, { up: true });
  return index;
}

const EBUSY = 16, EEXIST = 17;

export interface WireOptions {
  /** the container's first non-internal network gets the default route */
  defaultRoute: boolean;
  /** the interface's ifindex in the namespace, when the caller knows it is free (a namespace just made) */
  index?: number;
  /** bring lo up in the same exchange (the namespace's first endpoint) */
  lo?: boolean;
}

/**
 * Wires a recorded endpoint in two exchanges. On the host's socket: the veth
 * pair made from the container's side (ifname in the namespace, up, with its
 * MAC and, when given, its ifindex; the peer is the host end), then the host
 * end put into the bridge and brought up (an end cannot come up before its
 * peer exists, hence a second request, in the same datagram). Inside: lo up
 * (first endpoint), the address and, for the container's first non-internal
 * network, the default route.
 */
export function wireEndpoint(host: Netlink, inside: Netlink, netnsFd: number, net: NetworkRecord, e: Endpoint, o: WireOptions): void {
  const bridge = ensureBridge(host, net);
  trace("net: bridge ok");
  const pair = (index?: number) => host.vethReq({ name: e.ifname, index, netnsFd, mac: e.mac, mtu: net.mtu, peerName: e.veth, up: true });
  const hostEnd = host.setLinkReq(0, { name: e.veth, master: bridge, up: true });
  let index = o.index;
  try {
    host.run([pair(index), hostEnd]);
  } catch (err) {
    if (!(index && err instanceof NetlinkError && (err.errno === EEXIST || err.errno === EBUSY))) throw err;
    // the index is taken in the namespace (say, by a fallback tunnel device): the kernel picks one
    // (a name that is taken fails again, and says so)
    index = undefined;
    host.run([pair(), hostEnd]);
  }
  trace("net: veth created");
  index ??= inside.index(e.ifname);
  const prefix = parseSubnet(net.subnet).prefix;
  inside.run([
    ...(o.lo ? [inside.setLinkReq(1, { up: true })] : []),
    inside.addAddressReq(index, e.ip, prefix),
    ...(o.defaultRoute && !net.internal ? [inside.addRouteReq({ dst: "0.0.0.0/0", gateway: net.gateway })] : []),
  ]);
}
