// rtnetlink messages as bytes, both ways. Pure: no sockets, no root, so the
// layouts are unit-tested against bytes taken from the kernel headers
// (tests/unit/net/codec.test.ts).
//
//   nlmsghdr (16)  | len u32 | type u16 | flags u16 | seq u32 | pid u32 |
//   ifinfomsg (16) | family u8 | pad u8 | type u16 | index i32 | flags u32 | change u32 |
//   ifaddrmsg (8)  | family u8 | prefixlen u8 | flags u8 | scope u8 | index u32 |
//   rtmsg (12)     | family dst_len src_len tos table protocol scope type (u8 each) | flags u32 |
//   rtattr         | len u16 | type u16 | payload, padded to 4 |
// All integers are host-endian (little on x86_64); addresses are network order.

export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3 } as const;
export const RTM = {
  NEWLINK: 16, DELLINK: 17, GETLINK: 18, SETLINK: 19,
  NEWADDR: 20, DELADDR: 21, GETADDR: 22,
  NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26,
} as const;
export const NLM_F = {
  REQUEST: 0x1, MULTI: 0x2, ACK: 0x4, ECHO: 0x8,
  ROOT: 0x100, MATCH: 0x200, DUMP: 0x300,
  REPLACE: 0x100, EXCL: 0x200, CREATE: 0x400, APPEND: 0x800,
  // on NLMSG_ERROR replies
  CAPPED: 0x100, ACK_TLVS: 0x200,
} as const;
export const IFLA = {
  ADDRESS: 1, BROADCAST: 2, IFNAME: 3, MTU: 4, LINK: 5, MASTER: 10, OPERSTATE: 16,
  LINKINFO: 18, NET_NS_PID: 19, NET_NS_FD: 28,
} as const;
export const IFLA_INFO = { KIND: 1, DATA: 2, SLAVE_KIND: 4 } as const;
export const VETH_INFO_PEER = 1;
export const IFA = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4 } as const;
export const RTA = { DST: 1, SRC: 2, IIF: 3, OIF: 4, GATEWAY: 5, PRIORITY: 6, PREFSRC: 7, TABLE: 15 } as const;
export const NLMSGERR_ATTR_MSG = 1;
export const AF = { UNSPEC: 0, INET: 2, BRIDGE: 7, INET6: 10 } as const;
export const IFF_UP = 0x1;
export const RT_TABLE_MAIN = 254;
export const RTPROT = { KERNEL: 2, BOOT: 3, STATIC: 4 } as const;
export const RT_SCOPE = { UNIVERSE: 0, LINK: 253, HOST: 254 } as const;
export const RTN_UNICAST = 1;
const NLA_TYPE_MASK = 0x3fff; // drops NLA_F_NESTED and NLA_F_NET_BYTEORDER

const align4 = (n: number) => (n + 3) & ~3;

/** An attribute to encode: a payload, or nested attributes. */
export type Attr = { type: number; data: Uint8Array } | { type: number; nested: Attr[] };

export const attr = {
  u32(type: number, v: number): Attr {
    const d = new Uint8Array(4);
    new DataView(d.buffer).setUint32(0, v, true);
    return { type, data: d };
  },
  i32(type: number, v: number): Attr {
    const d = new Uint8Array(4);
    new DataView(d.buffer).setInt32(0, v, true);
    return { type, data: d };
  },
  str(type: number, s: string): Attr {
    return { type, data: new TextEncoder().encode(`${s}\0`) };
  },
  bytes(type: number, data: Uint8Array): Attr {
    return { type, data };
  },
  nested(type: number, nested: Attr[]): Attr {
    return { type, nested };
  },
};

// Encoding writes into one zeroed scratch buffer in a single pass, each
// attribute's length patched in once its contents are written: no size
// pre-pass and no buffer per level (a cold run pays for every operation).
let scratch = new Uint8Array(4096);
let scratchView = new DataView(scratch.buffer);

/** The scratch holds at least n bytes (what is written so far is kept). */
function room(n: number): void {
  if (n <= scratch.length) return;
  const bigger = new Uint8Array(Math.max(n, scratch.length * 2));
  bigger.set(scratch);
  scratch = bigger;
  scratchView = new DataView(scratch.buffer);
}

/** Writes attrs at off; returns the offset after them (aligned). */
function putAttrs(off: number, attrs: Attr[]): number {
  for (const a of attrs) {
    const start = off;
    room(off + 8 + ("data" in a ? a.data.length : 0));
    if ("data" in a) {
      scratch.set(a.data, off + 4);
      off += 4 + a.data.length;
    } else {
      off = putAttrs(off + 4, a.nested);
    }
    scratchView.setUint16(start, off - start, true);
    scratchView.setUint16(start + 2, a.type, true);
    off = align4(off);
  }
  return off;
}

/** The scratch bytes [0, len) as a buffer of their own; the scratch is zeroed again for the next message. */
function take(len: number): Uint8Array {
  const out = scratch.slice(0, len);
  scratch.fill(0, 0, len);
  return out;
}

/** Attributes alone (e.g. the body of VETH_INFO_PEER after its ifinfomsg). */
export function encodeAttrs(attrs: Attr[]): Uint8Array {
  return take(putAttrs(0, attrs));
}

export interface Header {
  type: number;
  flags: number;
  seq: number;
  pid?: number;
}

/** One message: header, fixed family struct, attributes. */
export function encodeMessage(h: Header, fixed: Uint8Array, attrs: Attr[] = []): Uint8Array {
  room(16 + fixed.length + 4);
  scratch.set(fixed, 16);
  const len = putAttrs(16 + align4(fixed.length), attrs);
  scratchView.setUint32(0, len, true);
  scratchView.setUint16(4, h.type, true);
  scratchView.setUint16(6, h.flags, true);
  scratchView.setUint32(8, h.seq, true);
  scratchView.setUint32(12, h.pid ?? 0, true);
  return take(len);
}

export interface IfInfo {
  family?: number;
  type?: number;
  index?: number;
  flags?: number;
  change?: number;
}
export function ifinfomsg(i: IfInfo = {}): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setUint8(0, i.family ?? AF.UNSPEC);
  dv.setUint16(2, i.type ?? 0, true);
  dv.setInt32(4, i.index ?? 0, true);
  dv.setUint32(8, i.flags ?? 0, true);
  dv.setUint32(12, i.change ?? 0, true);
  return b;
}

export interface IfAddr {
  family: number;
  prefixlen: number;
  flags?: number;
  scope?: number;
  index: number;
}
export function ifaddrmsg(a: IfAddr): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint8(0, a.family);
  dv.setUint8(1, a.prefixlen);
  dv.setUint8(2, a.flags ?? 0);
  dv.setUint8(3, a.scope ?? 0);
  dv.setUint32(4, a.index, true);
  return b;
}

export interface RtMsg {
  family: number;
  dstLen: number;
  table?: number;
  protocol?: number;
  scope?: number;
  type?: number;
}
export function rtmsg(r: RtMsg): Uint8Array {
  return new Uint8Array([r.family, r.dstLen, 0, 0, r.table ?? RT_TABLE_MAIN, r.protocol ?? RTPROT.BOOT, r.scope ?? RT_SCOPE.UNIVERSE, r.type ?? RTN_UNICAST, 0, 0, 0, 0]);
}

// --- decoding ---

export interface Message {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** everything after the 16-byte header */
  payload: Uint8Array;
}

/** Splits a datagram into messages. */
export function decodeMessages(buf: Uint8Array): Message[] {
  const out: Message[] = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = dv.getUint32(off, true);
    if (len < 16 || off + len > buf.length) throw new Error(`netlink: truncated message (${len} bytes at ${off} of ${buf.length})`);
    out.push({
      type: dv.getUint16(off + 4, true),
      flags: dv.getUint16(off + 6, true),
      seq: dv.getUint32(off + 8, true),
      pid: dv.getUint32(off + 12, true),
      payload: buf.subarray(off + 16, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** Attributes by type (the last wins; nested ones are decoded on demand). */
export function decodeAttrs(buf: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = dv.getUint16(off, true);
    if (len < 4 || off + len > buf.length) break;
    out.set(dv.getUint16(off + 2, true) & NLA_TYPE_MASK, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

export const readU32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
export const readStr = (b: Uint8Array) => new TextDecoder().decode(b[b.length - 1] === 0 ? b.subarray(0, -1) : b);

/** NLMSG_ERROR: errno 0 is an ACK. With extended ACK the kernel adds a message. */
export function decodeError(m: Message): { errno: number; message?: string } {
  const dv = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const errno = Math.abs(dv.getInt32(0, true));
  let message: string | undefined;
  if (m.flags & NLM_F.ACK_TLVS) {
    // after the error code: the request's header (capped) or the whole request
    const origLen = m.flags & NLM_F.CAPPED ? 16 : dv.getUint32(4, true);
    const tlvs = decodeAttrs(m.payload.subarray(4 + align4(origLen)));
    const msg = tlvs.get(NLMSGERR_ATTR_MSG);
    if (msg) message = readStr(msg);
  }
  return { errno, message };
}

export interface Link {
  index: number;
  name: string;
  flags: number;
  mtu?: number;
  mac?: string;
  master?: number;
  kind?: string;
}
export function decodeLink(m: Message): Link {
  const dv = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const a = decodeAttrs(m.payload.subarray(16));
  const link: Link = { index: dv.getInt32(4, true), flags: dv.getUint32(8, true), name: readStr(a.get(IFLA.IFNAME) ?? new Uint8Array()) };
  const mtu = a.get(IFLA.MTU);
  if (mtu) link.mtu = readU32(mtu);
  const mac = a.get(IFLA.ADDRESS);
  if (mac) link.mac = formatMac(mac);
  const master = a.get(IFLA.MASTER);
  if (master) link.master = readU32(master);
  const info = a.get(IFLA.LINKINFO);
  const kind = info && decodeAttrs(info).get(IFLA_INFO.KIND);
  if (kind) link.kind = readStr(kind);
  return link;
}

export interface Address {
  index: number;
  family: number;
  prefixlen: number;
  address: string;
}
export function decodeAddress(m: Message): Address {
  const p = m.payload;
  const a = decodeAttrs(p.subarray(8));
  const raw = a.get(IFA.LOCAL) ?? a.get(IFA.ADDRESS) ?? new Uint8Array();
  return {
    family: p[0]!,
    prefixlen: p[1]!,
    index: new DataView(p.buffer, p.byteOffset + 4, 4).getUint32(0, true),
    address: p[0] === AF.INET ? [...raw].join(".") : formatIpv6(raw),
  };
}

export function ipv4Bytes(ip: string): Uint8Array {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return new Uint8Array(parts);
}

export function macBytes(mac: string): Uint8Array {
  return new Uint8Array(mac.split(":").map((h) => Number.parseInt(h, 16)));
}
export function formatMac(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}
function formatIpv6(b: Uint8Array): string {
  const g: string[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) g.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return g.join(":");
}
