// The rtnetlink codec against byte layouts worked out from the kernel's
// headers (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/veth.h).
import { describe, expect, test } from "bun:test";
import {
  AF, attr, decodeAddress, decodeAttrs, decodeError, decodeLink, decodeMessages, encodeAttrs, encodeMessage, IFA, IFF_UP,
  ifaddrmsg, ifinfomsg, IFLA, IFLA_INFO, NLM_F, NLMSG, RTA, rtmsg, RTM, VETH_INFO_PEER, ipv4Bytes,
} from "../../../net/netlink/codec.ts";
import { broadcast } from "../../../net/netlink/client.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const le32 = (n: number) => Buffer.from(new Uint32Array([n]).buffer).toString("hex");

describe("encode", () => {
  test("ip link add br0 type bridge", () => {
    const m = encodeMessage(
      { type: RTM.NEWLINK, flags: NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL, seq: 1 },
      ifinfomsg({ flags: IFF_UP, change: IFF_UP }),
      [attr.str(IFLA.IFNAME, "br0"), attr.nested(IFLA.LINKINFO, [attr.str(IFLA_INFO.KIND, "bridge")])],
    );
    expect(hex(m)).toBe(
      "38000000" + "1000" + "0506" + "01000000" + "00000000" + // nlmsghdr: len 56, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE, seq 1
      "00000000" + "00000000" + "01000000" + "01000000" + // ifinfomsg: family, pad, type, index 0, flags UP, change UP
      "0800" + "0300" + "62723000" + // IFLA_IFNAME "br0\0"
      "1000" + "1200" + "0b00" + "0100" + "62726964676500" + "00", // IFLA_LINKINFO { IFLA_INFO_KIND "bridge\0" + pad }
    );
  });

  test("veth peer: ifinfomsg then attributes inside VETH_INFO_PEER", () => {
    const peer = new Uint8Array([...ifinfomsg(), ...encodeAttrs([attr.str(IFLA.IFNAME, "eth0"), attr.u32(IFLA.NET_NS_FD, 7)])]);
    const body = encodeAttrs([attr.nested(IFLA.LINKINFO, [attr.str(IFLA_INFO.KIND, "veth"), attr.nested(IFLA_INFO.DATA, [attr.bytes(VETH_INFO_PEER, peer)])])]);
    const li = decodeAttrs(body).get(IFLA.LINKINFO)!;
    const info = decodeAttrs(li);
    expect(new TextDecoder().decode(info.get(IFLA_INFO.KIND))).toBe("veth\0");
    const p = decodeAttrs(info.get(IFLA_INFO.DATA)!).get(VETH_INFO_PEER)!;
    expect(p.length).toBe(16 + 12 + 8); // ifinfomsg, "eth0\0" padded to 8 + 4, u32 attr
    const pa = decodeAttrs(p.subarray(16));
    expect(hex(pa.get(IFLA.NET_NS_FD)!)).toBe(le32(7));
    expect(hex(pa.get(IFLA.IFNAME)!)).toBe("6574683000");
  });

  test("ip addr add 10.1.2.3/24 dev 5", () => {
    const a = ipv4Bytes("10.1.2.3");
    const m = encodeMessage({ type: RTM.NEWADDR, flags: NLM_F.REQUEST, seq: 2 }, ifaddrmsg({ family: AF.INET, prefixlen: 24, index: 5 }), [attr.bytes(IFA.LOCAL, a)]);
    expect(hex(m)).toBe("20000000" + "1400" + "0100" + "02000000" + "00000000" + "02180000" + "05000000" + "0800" + "0200" + "0a010203");
  });

  test("default route via 10.1.0.1", () => {
    const m = encodeMessage({ type: RTM.NEWROUTE, flags: NLM_F.REQUEST, seq: 3 }, rtmsg({ family: AF.INET, dstLen: 0 }), [attr.bytes(RTA.GATEWAY, ipv4Bytes("10.1.0.1"))]);
    // rtmsg: family 2, dst_len 0, src_len 0, tos 0, table main (254), proto boot (3), scope universe, type unicast (1), flags 0
    expect(hex(m.subarray(16, 28))).toBe("02000000fe030001" + "00000000");
    expect(hex(m.subarray(28))).toBe("0800" + "0500" + "0a010001");
  });

  test("a message larger than the encoder's scratch buffer keeps every byte; padding stays zero for the next", () => {
    const big = new Uint8Array(5000).fill(7);
    const m = encodeMessage({ type: RTM.NEWLINK, flags: 1, seq: 9 }, ifinfomsg(), [attr.str(IFLA.IFNAME, "x"), attr.nested(IFLA.LINKINFO, [attr.bytes(1, big), attr.nested(2, [])])]);
    const a = decodeAttrs(decodeMessages(m)[0]!.payload.subarray(16));
    expect(hex(a.get(IFLA.IFNAME)!)).toBe("7800");
    const info = decodeAttrs(a.get(IFLA.LINKINFO)!);
    expect(info.get(1)!.length).toBe(5000);
    expect(info.get(1)!.every((b) => b === 7)).toBe(true);
    expect(info.get(2)!.length).toBe(0);
    expect(hex(encodeAttrs([attr.str(IFLA.IFNAME, "ab")]))).toBe("0700" + "0300" + "616200" + "00");
  });

  test("broadcast address of a prefix", () => {
    expect(broadcast("10.88.0.1", 16)).toBe("10.88.255.255");
    expect(broadcast("192.168.7.9", 24)).toBe("192.168.7.255");
    expect(broadcast("10.0.0.1", 8)).toBe("10.255.255.255");
  });
});

describe("decode", () => {
  test("two messages in one datagram, the second NLMSG_DONE", () => {
    const a = encodeMessage({ type: RTM.NEWLINK, flags: NLM_F.MULTI, seq: 9 }, ifinfomsg({ index: 3, flags: IFF_UP }), [
      attr.str(IFLA.IFNAME, "ctr0"), attr.u32(IFLA.MTU, 1500), attr.bytes(IFLA.ADDRESS, new Uint8Array([2, 0x42, 10, 88, 0, 1])),
      attr.u32(IFLA.MASTER, 7), attr.nested(IFLA.LINKINFO | 0x8000, [attr.str(IFLA_INFO.KIND, "bridge")]),
    ]);
    const done = encodeMessage({ type: NLMSG.DONE, flags: NLM_F.MULTI, seq: 9 }, new Uint8Array(4));
    const msgs = decodeMessages(new Uint8Array([...a, ...done]));
    expect(msgs.map((m) => m.type)).toEqual([RTM.NEWLINK, NLMSG.DONE]);
    expect(decodeLink(msgs[0]!)).toEqual({ index: 3, name: "ctr0", flags: IFF_UP, mtu: 1500, mac: "02:42:0a:58:00:01", master: 7, kind: "bridge" });
  });

  test("an address", () => {
    const m = encodeMessage({ type: RTM.NEWADDR, flags: 0, seq: 1 }, ifaddrmsg({ family: AF.INET, prefixlen: 16, index: 4 }), [
      attr.bytes(IFA.ADDRESS, ipv4Bytes("10.88.0.1")), attr.bytes(IFA.LOCAL, ipv4Bytes("10.88.0.1")),
    ]);
    expect(decodeAddress(decodeMessages(m)[0]!)).toEqual({ family: AF.INET, prefixlen: 16, index: 4, address: "10.88.0.1" });
  });

  test("NLMSG_ERROR: errno and the kernel's extended-ack message", () => {
    // error -17 (EEXIST), the request's header only (CAPPED), then NLMSGERR_ATTR_MSG
    const payload = new Uint8Array([
      ...Buffer.from(new Int32Array([-17]).buffer),
      ...encodeMessage({ type: RTM.NEWLINK, flags: 5, seq: 4 }, new Uint8Array()),
      ...encodeAttrs([attr.str(1, "File exists")]),
    ]);
    const m = encodeMessage({ type: NLMSG.ERROR, flags: NLM_F.CAPPED | NLM_F.ACK_TLVS, seq: 4 }, payload);
    expect(decodeError(decodeMessages(m)[0]!)).toEqual({ errno: 17, message: "File exists" });
    const ack = encodeMessage({ type: NLMSG.ERROR, flags: NLM_F.CAPPED, seq: 4 }, new Uint8Array(20));
    expect(decodeError(decodeMessages(ack)[0]!)).toEqual({ errno: 0, message: undefined });
  });

  test("a truncated datagram is an error, not garbage", () => {
    const m = encodeMessage({ type: RTM.NEWLINK, flags: 0, seq: 1 }, ifinfomsg());
    expect(() => decodeMessages(m.subarray(0, 20))).toThrow(/truncated/);
  });
});
