// nf_tables messages as bytes (NETLINK_NETFILTER, subsystem NFTABLES). Pure:
// no sockets, no root, so the layouts are unit-tested against bytes worked
// out from <linux/netfilter/nf_tables.h> (tests/unit/net/nftables.test.ts).
//
//   nlmsghdr (16) | type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_* | ...
//   nfgenmsg (4)  | family u8 | version u8 (0) | res_id be16 |
//   attributes    | as rtnetlink's, but every integer in them is big-endian
//
// Changes go in one batch (NFNL_MSG_BATCH_BEGIN ... BATCH_END) that the
// kernel commits atomically: all of it or none.
import { type Attr, attr, encodeAttrs, encodeMessage, readStr } from "../netlink/codec.ts";

export const NFNL_SUBSYS_NFTABLES = 10;
export const NFNL_MSG_BATCH_BEGIN = 16, NFNL_MSG_BATCH_END = 17;
export const NFNL_BATCH_GENID = 1;
export const NFT_MSG = {
  NEWTABLE: 0, GETTABLE: 1, DELTABLE: 2, NEWCHAIN: 3, GETCHAIN: 4, DELCHAIN: 5,
  NEWRULE: 6, GETRULE: 7, DELRULE: 8, NEWGEN: 15, GETGEN: 16,
} as const;
export const NFPROTO_IPV4 = 2;
export const NFTA_TABLE = { NAME: 1, FLAGS: 2 } as const;
export const NFTA_CHAIN = { TABLE: 1, HANDLE: 2, NAME: 3, HOOK: 4, POLICY: 5, TYPE: 7 } as const;
export const NFTA_HOOK = { HOOKNUM: 1, PRIORITY: 2 } as const;
export const NFTA_RULE = { TABLE: 1, CHAIN: 2, HANDLE: 3, EXPRESSIONS: 4, USERDATA: 7 } as const;
export const NFTA_LIST_ELEM = 1;
export const NFTA_EXPR = { NAME: 1, DATA: 2 } as const;
export const NFTA_DATA = { VALUE: 1, VERDICT: 2 } as const;
export const NFTA_VERDICT = { CODE: 1, CHAIN: 2 } as const;
export const NFTA_GEN_ID = 1;
export const NF_INET = { PRE_ROUTING: 0, LOCAL_IN: 1, FORWARD: 2, LOCAL_OUT: 3, POST_ROUTING: 4 } as const;
export const VERDICT = { DROP: 0, ACCEPT: 1, JUMP: -3, RETURN: -5 } as const;
export const NFT_META = { IIFNAME: 6, OIFNAME: 7, L4PROTO: 16 } as const;
export const NFT_PAYLOAD = { NETWORK: 1, TRANSPORT: 2 } as const;
export const NFT_CMP = { EQ: 0, NEQ: 1 } as const;
export const NFT_NAT_DNAT = 1;
export const NFT_FIB_RESULT_ADDRTYPE = 3, NFTA_FIB_F_DADDR = 2, RTN_LOCAL = 2;
export const NFT_REG = { VERDICT: 0, R1: 1, R2: 2 } as const;
/** nft's own encoding of a rule comment in NFTA_RULE_USERDATA (libnftnl's NFTNL_UDATA_RULE_COMMENT) */
const UDATA_RULE_COMMENT = 0;
const NLA_F_NESTED = 0x8000;
const IPPROTO = { tcp: 6, udp: 17 } as const;

// --- attribute helpers: nf_tables integers are big-endian ---

export const be32 = (type: number, v: number): Attr => {
  const d = new Uint8Array(4);
  new DataView(d.buffer).setInt32(0, v, false);
  return { type, data: d };
};
export const be64 = (type: number, v: bigint): Attr => {
  const d = new Uint8Array(8);
  new DataView(d.buffer).setBigUint64(0, v, false);
  return { type, data: d };
};
const nest = (type: number, nested: Attr[]): Attr => attr.nested(type | NLA_F_NESTED, nested);
const value = (type: number, data: Uint8Array): Attr => nest(type, [attr.bytes(NFTA_DATA.VALUE, data)]);

/** nfgenmsg: family, version 0, res_id (big-endian) */
export function nfgenmsg(family: number, resId = 0): Uint8Array {
  return new Uint8Array([family, 0, resId >> 8, resId & 255]);
}

// --- expressions: what a rule is made of ---

export type Expr = { name: string; data: Attr[] };

const u32le = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
};
const be16bytes = (v: number) => new Uint8Array([v >> 8, v & 255]);
/** an interface name as nft compares it: the bytes and the NUL, so "br0" does not match "br01" */
export const ifnameBytes = (name: string) => new TextEncoder().encode(`${name}\0`);
export const ipBytes = (ip: string) => new Uint8Array(ip.split(".").map(Number));

export const expr = {
  meta: (key: number, dreg = NFT_REG.R1): Expr => ({ name: "meta", data: [be32(2, key), be32(1, dreg)] }),
  cmp: (op: number, data: Uint8Array, sreg = NFT_REG.R1): Expr => ({ name: "cmp", data: [be32(1, sreg), be32(2, op), value(3, data)] }),
  payload: (base: number, offset: number, len: number, dreg = NFT_REG.R1): Expr => ({
    name: "payload", data: [be32(1, dreg), be32(2, base), be32(3, offset), be32(4, len)],
  }),
  /** dreg = sreg & mask (xor 0): a prefix match before a cmp */
  bitwise: (mask: Uint8Array, reg = NFT_REG.R1): Expr => ({
    name: "bitwise", data: [be32(1, reg), be32(2, reg), be32(3, mask.length), value(4, mask), value(5, new Uint8Array(mask.length))],
  }),
  immediate: (data: Uint8Array, dreg: number): Expr => ({ name: "immediate", data: [be32(1, dreg), value(2, data)] }),
  verdict: (code: number, chain?: string): Expr => ({
    name: "immediate",
    data: [be32(1, NFT_REG.VERDICT), nest(2, [nest(NFTA_DATA.VERDICT, [be32(NFTA_VERDICT.CODE, code), ...(chain ? [attr.str(NFTA_VERDICT.CHAIN, chain)] : [])])])],
  }),
  /** fib daddr type -> reg (the route type, host-endian u32) */
  fibDaddrType: (dreg = NFT_REG.R1): Expr => ({ name: "fib", data: [be32(1, dreg), be32(2, NFT_FIB_RESULT_ADDRTYPE), be32(3, NFTA_FIB_F_DADDR)] }),
  /** dnat to the address in regAddr and the port in regProto */
  dnat: (regAddr: number, regProto: number): Expr => ({
    name: "nat", data: [be32(1, NFT_NAT_DNAT), be32(2, NFPROTO_IPV4), be32(3, regAddr), be32(5, regProto)],
  }),
  masquerade: (): Expr => ({ name: "masq", data: [] }),
};

// --- matches, as nft spells them ---

export const match = {
  iifname: (op: number, name: string): Expr[] => [expr.meta(NFT_META.IIFNAME), expr.cmp(op, ifnameBytes(name))],
  oifname: (op: number, name: string): Expr[] => [expr.meta(NFT_META.OIFNAME), expr.cmp(op, ifnameBytes(name))],
  saddr: (ip: string): Expr[] => [expr.payload(NFT_PAYLOAD.NETWORK, 12, 4), expr.cmp(NFT_CMP.EQ, ipBytes(ip))],
  daddr: (ip: string): Expr[] => [expr.payload(NFT_PAYLOAD.NETWORK, 16, 4), expr.cmp(NFT_CMP.EQ, ipBytes(ip))],
  /** ip daddr != 127.0.0.0/8 */
  daddrNotLoopback: (): Expr[] => [
    expr.payload(NFT_PAYLOAD.NETWORK, 16, 4), expr.bitwise(new Uint8Array([255, 0, 0, 0])), expr.cmp(NFT_CMP.NEQ, new Uint8Array([127, 0, 0, 0])),
  ],
  /** fib daddr type local: the packet is for one of this host's addresses */
  daddrLocal: (): Expr[] => [expr.fibDaddrType(), expr.cmp(NFT_CMP.EQ, u32le(RTN_LOCAL))],
  /** meta l4proto tcp|udp th dport PORT */
  dport: (proto: "tcp" | "udp", port: number): Expr[] => [
    expr.meta(NFT_META.L4PROTO), expr.cmp(NFT_CMP.EQ, new Uint8Array([IPPROTO[proto]])),
    expr.payload(NFT_PAYLOAD.TRANSPORT, 2, 2), expr.cmp(NFT_CMP.EQ, be16bytes(port)),
  ],
};

/** dnat to ip:port */
export const dnatTo = (ip: string, port: number): Expr[] => [
  expr.immediate(ipBytes(ip), NFT_REG.R1), expr.immediate(be16bytes(port), NFT_REG.R2), expr.dnat(NFT_REG.R1, NFT_REG.R2),
];

function encodeExprs(exprs: Expr[]): Attr {
  return nest(NFTA_RULE.EXPRESSIONS, exprs.map((e) => nest(NFTA_LIST_ELEM, [
    attr.str(NFTA_EXPR.NAME, e.name), ...(e.data.length ? [nest(NFTA_EXPR.DATA, e.data)] : []),
  ])));
}

/** A rule comment the way nft stores one (so `nft list` shows it): TLV type 0, length, text with NUL. */
export function commentUserdata(text: string): Uint8Array {
  const t = new TextEncoder().encode(`${text}\0`);
  if (t.length > 255) throw new Error(`nftables comment too long: ${text}`);
  const u = new Uint8Array(2 + t.length);
  u[0] = UDATA_RULE_COMMENT;
  u[1] = t.length;
  u.set(t, 2); // not a spread: a typed array's first spread costs ms of cold start-up
  return u;
}
export function parseComment(u: Uint8Array | undefined): string | undefined {
  for (let off = 0; u && off + 2 <= u.length; off += 2 + u[off + 1]!) {
    if (u[off] === UDATA_RULE_COMMENT) return readStr(u.subarray(off + 2, off + 2 + u[off + 1]!));
  }
  return undefined;
}

// --- messages ---

/** One command of a batch: its type, flags and body (nfgenmsg + attributes). */
export interface Command {
  type: number;
  flags: number;
  family: number;
  attrs: Attr[];
}

const msgType = (t: number) => (NFNL_SUBSYS_NFTABLES << 8) | t;

export interface Chain {
  name: string;
  /** a base chain: type, hook and priority; a regular one (a jump target) has none */
  base?: { type: "nat" | "filter"; hook: number; priority: number };
}

export const cmd = {
  newTable: (table: string): Command => ({ type: msgType(NFT_MSG.NEWTABLE), flags: 0x400 /* CREATE */, family: NFPROTO_IPV4, attrs: [attr.str(NFTA_TABLE.NAME, table)] }),
  delTable: (table: string): Command => ({ type: msgType(NFT_MSG.DELTABLE), flags: 0, family: NFPROTO_IPV4, attrs: [attr.str(NFTA_TABLE.NAME, table)] }),
  newChain: (table: string, c: Chain): Command => ({
    type: msgType(NFT_MSG.NEWCHAIN), flags: 0x400, family: NFPROTO_IPV4,
    attrs: [
      attr.str(NFTA_CHAIN.TABLE, table), attr.str(NFTA_CHAIN.NAME, c.name),
      ...(c.base ? [nest(NFTA_CHAIN.HOOK, [be32(NFTA_HOOK.HOOKNUM, c.base.hook), be32(NFTA_HOOK.PRIORITY, c.base.priority)]),
        be32(NFTA_CHAIN.POLICY, VERDICT.ACCEPT), attr.str(NFTA_CHAIN.TYPE, c.base.type)] : []),
    ],
  }),
  /** appended to the chain, tagged with a comment */
  newRule: (table: string, chain: string, exprs: Expr[], comment: string): Command => ({
    type: msgType(NFT_MSG.NEWRULE), flags: 0x400 | 0x800 /* CREATE | APPEND */, family: NFPROTO_IPV4,
    attrs: [attr.str(NFTA_RULE.TABLE, table), attr.str(NFTA_RULE.CHAIN, chain), encodeExprs(exprs), attr.bytes(NFTA_RULE.USERDATA, commentUserdata(comment))],
  }),
  delRule: (table: string, chain: string, handle: bigint): Command => ({
    type: msgType(NFT_MSG.DELRULE), flags: 0, family: NFPROTO_IPV4,
    attrs: [attr.str(NFTA_RULE.TABLE, table), attr.str(NFTA_RULE.CHAIN, chain), be64(NFTA_RULE.HANDLE, handle)],
  }),
};

/**
 * The bytes of one batch: BEGIN, the commands (each asking for an ACK, so
 * the kernel answers each by sequence number), END. With genid, the kernel
 * refuses the batch (ERESTART) if any rule set changed since that generation.
 */
export function encodeBatch(commands: Command[], seq: number, genid?: number): Uint8Array {
  const ACK = 0x4, REQUEST = 0x1;
  const parts: Uint8Array[] = [
    encodeMessage({ type: NFNL_MSG_BATCH_BEGIN, flags: REQUEST, seq }, nfgenmsg(0, NFNL_SUBSYS_NFTABLES), genid === undefined ? [] : [be32(NFNL_BATCH_GENID, genid)]),
    ...commands.map((c, k) => encodeMessage({ type: c.type, flags: REQUEST | ACK | c.flags, seq: seq + 1 + k }, nfgenmsg(c.family), c.attrs)),
    encodeMessage({ type: NFNL_MSG_BATCH_END, flags: REQUEST, seq: seq + 1 + commands.length }, nfgenmsg(0, NFNL_SUBSYS_NFTABLES)),
  ];
  return Buffer.concat(parts);
}

/** A dump request for the rules of one table. */
export function encodeRuleDump(table: string, seq: number): Uint8Array {
  return encodeMessage({ type: msgType(NFT_MSG.GETRULE), flags: 0x1 | 0x300, seq }, nfgenmsg(NFPROTO_IPV4), [attr.str(NFTA_RULE.TABLE, table)]);
}

/** One table, by name (NFT_MSG_GETTABLE): its description, or ENOENT. */
export function encodeGetTable(table: string, seq: number): Uint8Array {
  return encodeMessage({ type: msgType(NFT_MSG.GETTABLE), flags: 0x1, seq }, nfgenmsg(NFPROTO_IPV4), [attr.str(NFTA_TABLE.NAME, table)]);
}

/** The ruleset's generation (NFT_MSG_GETGEN). */
export function encodeGetGen(seq: number): Uint8Array {
  return encodeMessage({ type: msgType(NFT_MSG.GETGEN), flags: 0x1, seq }, nfgenmsg(0));
}

export { encodeAttrs };
