// A NETLINK_ROUTE socket and the operations ctr needs: links (bridge, veth),
// addresses, routes, dumps. Requests are synchronous: send one (or several in
// one datagram, Netlink.run), read until each has its ACK, NLMSG_ERROR or
// NLMSG_DONE. A socket stays bound to the network
// namespace it was opened in, which is how a namespace is configured from
// outside it (net/netns.ts).
import { close, recv, sendto } from "../../runtime/sys/libc.ts";
import { KERNEL, NETLINK_ROUTE, openNetlink, recvBuffer } from "./socket.ts";
import { SysError } from "../../runtime/sys/errno.ts";
import {
  AF, type Address, type Attr, attr, decodeAddress, decodeError, decodeLink, decodeMessages, encodeAttrs, encodeMessage,
  IFA, IFF_UP, ifaddrmsg, ifinfomsg, IFLA, IFLA_INFO, ipv4Bytes, type Link, macBytes, type Message, NLM_F, NLMSG, RT_SCOPE,
  RTA, rtmsg, RTM, VETH_INFO_PEER,
} from "./codec.ts";

const ENODEV = 19, EEXIST = 17;

function opName(op: number): string {
  const k = Object.keys(RTM).find((k) => RTM[k as keyof typeof RTM] === op);
  return k ? `RTM_${k}` : `netlink ${op}`;
}

/** A refused request: the errno, the request and the kernel's own words when it gave some. */
export class NetlinkError extends SysError {
  constructor(op: number, errno: number, what: string, readonly detail?: string) {
    super(opName(op), errno, what);
    if (detail) this.message += ` (${detail})`;
  }
}

export interface VethOptions {
  name: string;
  /** this end's ifindex (0 or none: the kernel picks), MAC, namespace (an open fd of it), and whether it comes up (default) */
  index?: number;
  mac?: string;
  netnsFd?: number;
  up?: boolean;
  peerName: string;
  /** put the peer straight into this network namespace (an open fd of it) */
  peerNetnsFd?: number;
  peerMac?: string;
  master?: number;
  mtu?: number;
}

/** One request of a pipelined exchange (Netlink.run): what to send, and errnos that count as done. */
export interface Request {
  type: number;
  flags: number;
  fixed: Uint8Array;
  attrs: Attr[];
  what: string;
  /** errnos that are not failures (EEXIST for "already there") */
  ok?: number[];
}

export class Netlink {
  private seq = Math.floor(Math.random() * 1e6);
  private buf = recvBuffer();
  private constructor(readonly fd: number) {}

  static open(): Netlink {
    return new Netlink(openNetlink(NETLINK_ROUTE));
  }

  close(): void {
    close(this.fd);
  }

  /** One request; returns the replies (for a dump: every part). Throws NetlinkError. */
  request(type: number, flags: number, fixed: Uint8Array, attrs: Attr[], what: string): Message[] {
    const out: Message[] = [];
    const [a] = this.exchange([{ type, flags, fixed, attrs, what }], out);
    if (a!.errno) throw new NetlinkError(type, a!.errno, what, a!.detail);
    return out;
  }

  /**
   * Several requests in one sendmsg: the kernel handles them in order and
   * acks each, so a chain of changes costs one round trip. Throws
   * NetlinkError for the first refused one (the kernel still tries the
   * ones after it).
   */
  run(reqs: Request[]): void {
    const answers = this.exchange(reqs);
    answers.forEach(({ errno, detail }, k) => {
      if (errno && !reqs[k]!.ok?.includes(errno)) throw new NetlinkError(reqs[k]!.type, errno, reqs[k]!.what, detail);
    });
  }

  /**
   * Sends the requests in one datagram and reads until each is answered (its
   * ACK, NLMSG_ERROR or a dump's DONE); returns each one's errno (0: done)
   * and the kernel's words on it. Replies that are not acks go to `out`.
   */
  private exchange(reqs: Request[], out?: Message[]): { errno: number; detail?: string }[] {
    const first = this.seq + 1;
    this.seq += reqs.length;
    const msgs = reqs.map((r, k) => {
      const dump = (r.flags & NLM_F.DUMP) === NLM_F.DUMP;
      return encodeMessage({ type: r.type, flags: NLM_F.REQUEST | (dump ? 0 : NLM_F.ACK) | r.flags, seq: first + k }, r.fixed, r.attrs);
    });
    sendto(this.fd, msgs.length === 1 ? msgs[0]! : Buffer.concat(msgs), KERNEL);
    const answers: { errno: number; detail?: string }[] = new Array(reqs.length);
    let left = reqs.length;
    while (left > 0) {
      const n = recv(this.fd, this.buf);
      for (const m of decodeMessages(this.buf.subarray(0, n))) {
        const k = m.seq - first;
        if (k < 0 || k >= reqs.length || answers[k] !== undefined) continue; // a late reply to an earlier request
        if (m.type === NLMSG.DONE) {
          answers[k] = { errno: 0 };
          left--;
        } else if (m.type === NLMSG.ERROR) {
          const { errno, message } = decodeError(m);
          answers[k] = { errno, detail: message };
          left--;
        } else {
          out?.push({ ...m, payload: m.payload.slice() });
        }
      }
    }
    return answers;
  }

  /** Index and flags of a link by name, without decoding the rest of it; undefined when there is none. */
  linkState(name: string): { index: number; flags: number } | undefined {
    const out: Message[] = [];
    const [a] = this.exchange([{ type: RTM.GETLINK, flags: 0, fixed: ifinfomsg(), attrs: [attr.str(IFLA.IFNAME, name)], what: name }], out);
    if (a!.errno === ENODEV) return undefined;
    if (a!.errno) throw new NetlinkError(RTM.GETLINK, a!.errno, name, a!.detail);
    const m = out.find((x) => x.type === RTM.NEWLINK);
    if (!m) return undefined;
    const dv = new DataView(m.payload.buffer, m.payload.byteOffset, 16);
    return { index: dv.getInt32(4, true), flags: dv.getUint32(8, true) };
  }

  // --- requests, for run() ---

  /** RTM_NEWLINK changing a link, by index or (index 0) by name. */
  setLinkReq(index: number, s: { up?: boolean; master?: number; mtu?: number; mac?: string; name?: string; netnsFd?: number }): Request {
    const attrs: Attr[] = [];
    if (s.master !== undefined) attrs.push(attr.u32(IFLA.MASTER, s.master));
    if (s.mtu) attrs.push(attr.u32(IFLA.MTU, s.mtu));
    if (s.mac) attrs.push(attr.bytes(IFLA.ADDRESS, macBytes(s.mac)));
    if (s.name) attrs.push(attr.str(IFLA.IFNAME, s.name));
    if (s.netnsFd !== undefined) attrs.push(attr.u32(IFLA.NET_NS_FD, s.netnsFd));
    const flags = s.up === undefined ? {} : { flags: s.up ? IFF_UP : 0, change: IFF_UP };
    return { type: RTM.NEWLINK, flags: 0, fixed: ifinfomsg({ index, ...flags }), attrs, what: `link ${s.name ?? index}` };
  }

  /** RTM_NEWADDR: ip/prefix on a link; EEXIST (there already) counts as done. */
  addAddressReq(index: number, ip: string, prefixlen: number): Request {
    const a = ipv4Bytes(ip);
    const attrs = [attr.bytes(IFA.LOCAL, a), attr.bytes(IFA.ADDRESS, a)];
    if (prefixlen < 31) attrs.push(attr.bytes(IFA.BROADCAST, ipv4Bytes(broadcast(ip, prefixlen))));
    return { type: RTM.NEWADDR, flags: NLM_F.CREATE | NLM_F.EXCL, fixed: ifaddrmsg({ family: AF.INET, prefixlen, index }), attrs, what: `${ip}/${prefixlen}`, ok: [EEXIST] };
  }

  /** RTM_NEWROUTE: dst "0.0.0.0/0" is the default; via a gateway or straight out of a link. */
  addRouteReq(r: { dst: string; gateway?: string; oif?: number }): Request {
    const [net, len] = r.dst.split("/") as [string, string];
    const attrs: Attr[] = [];
    if (Number(len) > 0) attrs.push(attr.bytes(RTA.DST, ipv4Bytes(net)));
    if (r.gateway) attrs.push(attr.bytes(RTA.GATEWAY, ipv4Bytes(r.gateway)));
    if (r.oif) attrs.push(attr.u32(RTA.OIF, r.oif));
    const scope = r.gateway ? RT_SCOPE.UNIVERSE : RT_SCOPE.LINK;
    return { type: RTM.NEWROUTE, flags: NLM_F.CREATE | NLM_F.EXCL, fixed: rtmsg({ family: AF.INET, dstLen: Number(len), scope }), attrs, what: `route ${r.dst}` };
  }

  /**
   * RTM_NEWLINK of a veth pair: `name` up and in `master` (if given), the
   * peer named and placed in its namespace (down: it is configured before
   * this end exists, and a veth without its peer refuses to open).
   */
  vethReq(o: VethOptions): Request {
    const peer: Attr[] = [attr.str(IFLA.IFNAME, o.peerName)];
    if (o.peerNetnsFd !== undefined) peer.push(attr.u32(IFLA.NET_NS_FD, o.peerNetnsFd));
    if (o.peerMac) peer.push(attr.bytes(IFLA.ADDRESS, macBytes(o.peerMac)));
    if (o.mtu) peer.push(attr.u32(IFLA.MTU, o.mtu));
    const pfix = ifinfomsg();
    const pbody = encodeAttrs(peer);
    const peerBody = new Uint8Array(pfix.length + pbody.length);
    peerBody.set(pfix);
    peerBody.set(pbody, pfix.length);
    const attrs: Attr[] = [
      attr.str(IFLA.IFNAME, o.name),
      attr.nested(IFLA.LINKINFO, [attr.str(IFLA_INFO.KIND, "veth"), attr.nested(IFLA_INFO.DATA, [attr.bytes(VETH_INFO_PEER, peerBody)])]),
    ];
    if (o.netnsFd !== undefined) attrs.push(attr.u32(IFLA.NET_NS_FD, o.netnsFd));
    if (o.mac) attrs.push(attr.bytes(IFLA.ADDRESS, macBytes(o.mac)));
    if (o.master) attrs.push(attr.u32(IFLA.MASTER, o.master));
    if (o.mtu) attrs.push(attr.u32(IFLA.MTU, o.mtu));
    const up = o.up === false ? {} : { flags: IFF_UP, change: IFF_UP };
    return { type: RTM.NEWLINK, flags: NLM_F.CREATE | NLM_F.EXCL, fixed: ifinfomsg({ index: o.index ?? 0, ...up }), attrs, what: `veth ${o.name}` };
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
    this.run([this.vethReq(o)]);
  }

  /** Deletes a link by name; false when there was none. */
  deleteLink(name: string): boolean {
    const [a] = this.exchange([{ type: RTM.DELLINK, flags: 0, fixed: ifinfomsg(), attrs: [attr.str(IFLA.IFNAME, name)], what: name }]);
    if (a!.errno === ENODEV) return false;
    if (a!.errno) throw new NetlinkError(RTM.DELLINK, a!.errno, name, a!.detail);
    return true;
  }

  setLink(index: number, s: { up?: boolean; master?: number; mtu?: number; mac?: string; name?: string; netnsFd?: number }): void {
    this.run([this.setLinkReq(index, s)]);
  }

  // --- addresses and routes (IPv4) ---

  addresses(): Address[] {
    return this.request(RTM.GETADDR, NLM_F.DUMP, ifaddrmsg({ family: AF.UNSPEC, prefixlen: 0, index: 0 }), [], "address dump")
      .filter((m) => m.type === RTM.NEWADDR).map(decodeAddress);
  }

  /** Adds ip/prefix to a link; false when it was there already. */
  addAddress(index: number, ip: string, prefixlen: number): boolean {
    const r = this.addAddressReq(index, ip, prefixlen);
    const [a] = this.exchange([r]);
    if (a!.errno === EEXIST) return false;
    if (a!.errno) throw new NetlinkError(r.type, a!.errno, r.what, a!.detail);
    return true;
  }

  /** A route: dst "0.0.0.0/0" is the default; via a gateway or straight out of a link. */
  addRoute(r: { dst: string; gateway?: string; oif?: number }): void {
    this.run([this.addRouteReq(r)]);
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
