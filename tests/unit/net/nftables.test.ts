// The nf_tables codec and ctr's rules against byte layouts worked out from
// <linux/netfilter/nf_tables.h> and <linux/netfilter/nfnetlink.h>. The same
// rules, sent to a real kernel, are printed back by Debian's nft as
//   iifname != "br0" fib daddr type local tcp dport 8080 dnat to 10.1.0.2:80
// (checked by hand while writing them; tests/integration/nat.test.ts checks
// them in the kernel through ctr's own dump).
import { describe, expect, test } from "bun:test";
import { masqueradeRule, networkRules, parseOwner, portRules } from "../../../net/firewall.ts";
import { cmd, commentUserdata, encodeBatch, expr, match, nfgenmsg, NFT_CMP, parseComment, VERDICT } from "../../../net/nftables/codec.ts";
import { decodeAttrs, decodeMessages, encodeAttrs } from "../../../net/netlink/codec.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const listElem = (e: ReturnType<typeof expr.meta>) => encodeAttrs(cmd.newRule("t", "c", [e], "x").attrs.slice(2, 3));

describe("nf_tables encoding", () => {
  test("nfgenmsg: family, version 0, res_id big-endian", () => {
    expect(hex(nfgenmsg(2))).toBe("02000000");
    expect(hex(nfgenmsg(0, 10))).toBe("0000000a");
  });

  test("meta oifname -> reg 1: integers big-endian, nested attributes flagged", () => {
    expect(hex(listElem(expr.meta(7)))).toBe(
      "2800" + "0480" + // NFTA_RULE_EXPRESSIONS, nested, 40 bytes
      "2400" + "0180" + // NFTA_LIST_ELEM, nested
      "0900" + "0100" + "6d65746100" + "000000" + // NFTA_EXPR_NAME "meta\0" + pad
      "1400" + "0280" + // NFTA_EXPR_DATA, nested
      "0800" + "0200" + "00000007" + // NFTA_META_KEY = NFT_META_OIFNAME
      "0800" + "0100" + "00000001", // NFTA_META_DREG = NFT_REG_1
    );
  });

  test("cmp: the interface name with its NUL, the port in network order", () => {
    const [, ifcmp] = match.iifname(NFT_CMP.NEQ, "br0");
    expect(hex(listElem(ifcmp!))).toContain(
      "0800" + "0100" + "00000001" + // NFTA_CMP_SREG 1
      "0800" + "0200" + "00000001" + // NFTA_CMP_OP NEQ
      "0c00" + "0380" + "0800" + "0100" + "62723000", // NFTA_CMP_DATA { NFTA_DATA_VALUE "br0\0" }
    );
    const port = match.dport("udp", 5353);
    expect(hex(listElem(port[1]!))).toContain("0500" + "0100" + "11"); // l4proto udp (17)
    expect(hex(listElem(port[3]!))).toContain("0600" + "0100" + "14e9"); // 5353 = 0x14e9
  });

  test("a jump verdict names its chain", () => {
    expect(hex(listElem(expr.verdict(VERDICT.JUMP, "isolate")))).toContain(
      "0800" + "0100" + "fffffffd" + // NFTA_VERDICT_CODE NFT_JUMP (-3)
      "0c00" + "0200" + "69736f6c61746500", // NFTA_VERDICT_CHAIN "isolate\0"
    );
  });

  test("a base chain: hook and a negative priority, big-endian", () => {
    const c = cmd.newChain("ctr", { name: "prerouting", base: { type: "nat", hook: 0, priority: -100 } });
    const a = decodeAttrs(encodeAttrs(c.attrs));
    const hook = decodeAttrs(a.get(4)!);
    expect(hex(hook.get(1)!)).toBe("00000000");
    expect(hex(hook.get(2)!)).toBe("ffffff9c");
    expect(hex(a.get(7)!)).toBe(hex(new TextEncoder().encode("nat\0")));
  });

  test("a batch: BEGIN and END carry the subsystem; commands ask for an ACK, numbered in order", () => {
    const b = encodeBatch([cmd.newTable("ctr"), cmd.delTable("ctr")], 100, 7);
    const msgs = decodeMessages(b);
    expect(msgs.map((m) => [m.type, m.seq])).toEqual([[16, 100], [0x0a00, 101], [0x0a02, 102], [17, 103]]);
    expect(hex(msgs[0]!.payload)).toBe("0000000a" + "0800" + "0100" + "00000007"); // res_id NFTABLES, NFNL_BATCH_GENID 7
    expect(msgs[1]!.flags).toBe(0x1 | 0x4 | 0x400); // REQUEST | ACK | CREATE
    expect(msgs[2]!.flags).toBe(0x1 | 0x4);
    expect(hex(msgs[1]!.payload.subarray(0, 4))).toBe("02000000"); // NFPROTO_IPV4
  });

  test("comments are stored as nft stores them, and read back", () => {
    expect(hex(commentUserdata("ab"))).toBe("0003" + "616200");
    expect(parseComment(commentUserdata("container=1 net=2"))).toBe("container=1 net=2");
    expect(parseComment(undefined)).toBeUndefined();
    expect(parseOwner("container=abc port=tcp/80")).toEqual({ container: "abc", port: "tcp/80" });
  });
});

describe("ctr's rules", () => {
  const names = (r: { exprs: { name: string }[] }) => r.exprs.map((e) => e.name).join(" ");

  test("masquerade: saddr, oifname != bridge, masq; owned by the endpoint", () => {
    const r = masqueradeRule("c1", "0123456789abcdef", "10.1.0.2", "br0");
    expect(r.chain).toBe("postrouting");
    expect(names(r)).toBe("payload cmp meta cmp masq");
    expect(r.comment).toBe("container=c1 net=0123456789ab");
  });

  test("a port on every address: prerouting (not from its bridge) and output (not loopback), both on local addresses", () => {
    const [pre, out] = portRules("c1", "10.1.0.2", "br0", { hostIp: "0.0.0.0", hostPort: 8080, containerPort: 80, protocol: "tcp" });
    expect(pre!.chain).toBe("prerouting");
    expect(names(pre!)).toBe("meta cmp fib cmp meta cmp payload cmp immediate immediate nat");
    expect(out!.chain).toBe("output");
    expect(names(out!)).toBe("payload bitwise cmp fib cmp meta cmp payload cmp immediate immediate nat");
    expect(pre!.comment).toBe("container=c1 port=tcp/8080");
  });

  test("a port bound to one address matches it; a loopback one is left to the proxy", () => {
    const rules = portRules("c1", "10.1.0.2", "br0", { hostIp: "192.0.2.1", hostPort: 53, containerPort: 53, protocol: "udp" });
    expect(rules.map(names)).toEqual(["meta cmp payload cmp meta cmp payload cmp immediate immediate nat", "payload cmp meta cmp payload cmp immediate immediate nat"]);
    expect(portRules("c1", "10.1.0.2", "br0", { hostIp: "127.0.0.1", hostPort: 80, containerPort: 80, protocol: "tcp" })).toEqual([]);
  });

  test("isolation: a jump to isolate and a drop there; --internal drops both ways", () => {
    expect(networkRules("n", "br0", false).map((r) => [r.chain, names(r)])).toEqual([["forward", "meta cmp meta cmp immediate"], ["isolate", "meta cmp immediate"]]);
    expect(networkRules("n", "br0", true).map((r) => r.chain)).toEqual(["forward", "forward"]);
  });
});
