// A NETLINK_ROUTE socket and the operations ctr needs: links (bridge, veth),
// addresses, routes, dumps. Requests are synchronous: send one, read until
// its ACK, NLMSG_ERROR or NLMSG_DONE. A socket stays bound to the network
// namespace it was opened in, which is how a namespace is configured from
// outside it (net/netns.ts).
import { close, recv, sendto } from "../../runtime/sys/libc.ts";
import { KERNEL, NETLINK_ROUTE, openNetlink } from "./socket.ts";
import { SysError } from "../../runtime/sys/errno.ts";
import {
  AF, type Address, type Attr, attr, decodeAddress, decodeError, decodeLink, decodeMessages, encodeAttrs, encodeMessage,
  IFA, IFF_UP, ifaddrmsg, ifinfomsg, IFLA, IFLA_INFO, ipv4Bytes, type Link, macBytes, type Message, NLM_F, NLMSG, RT_SCOPE,
  RTA, rtmsg, RTM, VETH_INFO_PEER,
} from "./codec.ts";

const ENODEV = 19, EEXIST = 17;

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(RTM).map(([k, v]) => [v, `RTM_${k}`]));

/** A refused request: the errno, the request and the kernel's own words when it gave some. */
export class NetlinkError extends SysError {
  constructor(op: number, errno: number, what: string, readonly detail?: string) {
    super(NAMES[op] ?? `netlink ${op}`, errno, what);
    if (detail) this.message += ` (${detail})`;
  }
}

export interface VethOptions {
  name: string;
  peerName: string;
  /** put the peer straight into this network namespace (an open fd of it) */
  peerNetnsFd?: number;
  peerMac?: string;
  master?: number;
  mtu?: number;
}

export class Netlink {
  private seq = Math.floor(Math.random() * 1e6);
  private buf = new Uint8Array(65536);
  private constructor(readonly fd: number) {}

  static open(): Netlink {
    return new Netlink(openNetlink(NETLINK_ROUTE));
  }

  close(): void {
    close(this.fd);
  }

  /** One request; returns the replies (for a dump: every part). Throws NetlinkError. */
  request(type: number, flags: number, fixed: Uint8Array, attrs: Attr[], what: string): Message[] {
    const seq = ++this.seq;
    const dump = (flags & NLM_F.DUMP) === NLM_F.DUMP;
    const msg = encodeMessage({ type, flags: NLM_F.REQUEST | (dump ? 0 : NLM_F.ACK) | flags, seq }, fixed, attrs);
    sendto(this.fd, msg, KERNEL);
    const out: Message[] = [];
    for (;;) {
      const n = recv(this.fd, this.buf);
      for (const m of decodeMessages(this.buf.subarray(0, n))) {
        if (m.seq !== seq) continue; // a late reply to an earlier request
        if (m.type === NLMSG.DONE) return out;
        if (m.type === NLMSG.ERROR) {
          const { errno, message } = decodeError(m);
          if (errno !== 0) throw new NetlinkError(type, errno, what, message);
          return out;
        }
        out.push({ ...m, payload: m.payload.slice() });
      }
    }
  }

  // --- links ---

  links(): Link[] {
    return this.request(RTM.GETLINK, NLM_F.DUMP, ifinfomsg(), [], "link dump").filter((m) => m.type === RTM.NEWLINK).map(decodeLink);
  }

  link(name: string): Link | undefined {
    try {
      const r = this.request(RTM.GETLINK, 0, ifinfomsg(), [attr.str(IFLA.IFNAME, name)], name);
      return r[0] && decodeLink(r[0]);
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === ENODEV) return undefined;
      throw e;
    }
  }

  /** The link's index, or an error naming it. */
  index(name: string): number {
    const l = this.link(name);
    if (!l) throw new NetlinkError(RTM.GETLINK, ENODEV, name);
    return l.index;
  }

  /** A bridge, up. Returns false when it already existed. */
  createBridge(name: string, mtu?: number): boolean {
    const attrs = [attr.str(IFLA.IFNAME, name), attr.nested(IFLA.LINKINFO, [attr.str(IFLA_INFO.KIND, "bridge")])];
    if (mtu) attrs.push(attr.u32(IFLA.MTU, mtu));
    try {
      this.request(RTM.NEWLINK, NLM_F.CREATE | NLM_F.EXCL, ifinfomsg({ flags: IFF_UP, change: IFF_UP }), attrs, `bridge ${name}`);
      return true;
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === EEXIST) return false;
      throw e;
    }
  }

  /** A veth pair in one request: this end up and in `master`, the peer named and placed in its namespace (down). */
  createVeth(o: VethOptions): void {
    const peer: Attr[] = [attr.str(IFLA.IFNAME, o.peerName)];
    if (o.peerNetnsFd !== undefined) peer.push(attr.u32(IFLA.NET_NS_FD, o.peerNetnsFd));
    if (o.peerMac) peer.push(attr.bytes(IFLA.ADDRESS, macBytes(o.peerMac)));
    if (o.mtu) peer.push(attr.u32(IFLA.MTU, o.mtu));
    // the peer cannot be brought up here: it is configured before this end
    // exists, and a veth without its peer refuses to open (ENOTCONN)
    const peerBody = new Uint8Array([...ifinfomsg(), ...encodeAttrs(peer)]);
    const attrs: Attr[] = [
      attr.str(IFLA.IFNAME, o.name),
      attr.nested(IFLA.LINKINFO, [attr.str(IFLA_INFO.KIND, "veth"), attr.nested(IFLA_INFO.DATA, [attr.bytes(VETH_INFO_PEER, peerBody)])]),
    ];
    if (o.master) attrs.push(attr.u32(IFLA.MASTER, o.master));
    if (o.mtu) attrs.push(attr.u32(IFLA.MTU, o.mtu));
    this.request(RTM.NEWLINK, NLM_F.CREATE | NLM_F.EXCL, ifinfomsg({ flags: IFF_UP, change: IFF_UP }), attrs, `veth ${o.name}`);
  }

  /** Deletes a link by name; false when there was none. */
  deleteLink(name: string): boolean {
    try {
      this.request(RTM.DELLINK, 0, ifinfomsg(), [attr.str(IFLA.IFNAME, name)], name);
      return true;
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === ENODEV) return false;
      throw e;
    }
  }

  setLink(index: number, s: { up?: boolean; master?: number; mtu?: number; mac?: string; name?: string; netnsFd?: number }): void {
    const attrs: Attr[] = [];
    if (s.master !== undefined) attrs.push(attr.u32(IFLA.MASTER, s.master));
    if (s.mtu) attrs.push(attr.u32(IFLA.MTU, s.mtu));
    if (s.mac) attrs.push(attr.bytes(IFLA.ADDRESS, macBytes(s.mac)));
    if (s.name) attrs.push(attr.str(IFLA.IFNAME, s.name));
    if (s.netnsFd !== undefined) attrs.push(attr.u32(IFLA.NET_NS_FD, s.netnsFd));
    const flags = s.up === undefined ? {} : { flags: s.up ? IFF_UP : 0, change: IFF_UP };
    this.request(RTM.NEWLINK, 0, ifinfomsg({ index, ...flags }), attrs, `link ${index}`);
  }

  // --- addresses and routes (IPv4) ---

  addresses(): Address[] {
    return this.request(RTM.GETADDR, NLM_F.DUMP, ifaddrmsg({ family: AF.UNSPEC, prefixlen: 0, index: 0 }), [], "address dump")
      .filter((m) => m.type === RTM.NEWADDR).map(decodeAddress);
  }

  /** Adds ip/prefix to a link; false when it was there already. */
  addAddress(index: number, ip: string, prefixlen: number): boolean {
    const a = ipv4Bytes(ip);
    const attrs = [attr.bytes(IFA.LOCAL, a), attr.bytes(IFA.ADDRESS, a)];
    if (prefixlen < 31) attrs.push(attr.bytes(IFA.BROADCAST, ipv4Bytes(broadcast(ip, prefixlen))));
    try {
      this.request(RTM.NEWADDR, NLM_F.CREATE | NLM_F.EXCL, ifaddrmsg({ family: AF.INET, prefixlen, index }), attrs, `${ip}/${prefixlen}`);
      return true;
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === EEXIST) return false;
      throw e;
    }
  }

  /** A route: dst "0.0.0.0/0" is the default; via a gateway or straight out of a link. */
  addRoute(r: { dst: string; gateway?: string; oif?: number }): void {
    const [net, len] = r.dst.split("/") as [string, string];
    const attrs: Attr[] = [];
    if (Number(len) > 0) attrs.push(attr.bytes(RTA.DST, ipv4Bytes(net)));
    if (r.gateway) attrs.push(attr.bytes(RTA.GATEWAY, ipv4Bytes(r.gateway)));
    if (r.oif) attrs.push(attr.u32(RTA.OIF, r.oif));
    const scope = r.gateway ? RT_SCOPE.UNIVERSE : RT_SCOPE.LINK;
    this.request(RTM.NEWROUTE, NLM_F.CREATE | NLM_F.EXCL, rtmsg({ family: AF.INET, dstLen: Number(len), scope }), attrs, `route ${r.dst}`);
  }
}

export function broadcast(ip: string, prefixlen: number): string {
  const n = ipv4Bytes(ip).reduce((a, b) => (a << 8) | b, 0) >>> 0;
  const mask = prefixlen === 0 ? 0 : (~0 << (32 - prefixlen)) >>> 0;
  const b = (n | ~mask) >>> 0;
  return [24, 16, 8, 0].map((s) => (b >>> s) & 255).join(".");
}

/** Runs fn with a socket and closes it after. */
export function withNetlink<T>(fn: (nl: Netlink) => T): T {
  const nl = Netlink.open();
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}

export { IFF_UP };
