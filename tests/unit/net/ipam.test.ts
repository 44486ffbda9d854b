// IPAM without root: subnets, allocation, overlaps, MACs; and the files a
// container's network gets (/etc/hosts, /etc/resolv.conf).
import { describe, expect, test } from "bun:test";
import { hostsBase, resolvConf } from "../../../net/files.ts";
import { allocate, firstHost, formatSubnet, macFor, nextSubnet, overlaps, parseSubnet } from "../../../net/ipam.ts";

describe("subnets", () => {
  test("parse, format, first host", () => {
    const s = parseSubnet("10.213.0.0/16");
    expect(formatSubnet(s)).toBe("10.213.0.0/16");
    expect(firstHost(s)).toBe("10.213.0.1");
  });
  test("bad CIDRs say what is wrong", () => {
    expect(() => parseSubnet("10.0.0.0")).toThrow(/expected an IPv4 CIDR/);
    expect(() => parseSubnet("10.0.0.300/24")).toThrow(/invalid IPv4 address/);
    expect(() => parseSubnet("10.0.0.1/24")).toThrow(/host bits are set \(did you mean 10.0.0.0\/24\?\)/);
    expect(() => parseSubnet("10.0.0.0/31")).toThrow(/between 8 and 30/);
  });
  test("overlaps", () => {
    expect(overlaps(parseSubnet("10.1.0.0/16"), parseSubnet("10.1.7.0/24"))).toBe(true);
    expect(overlaps(parseSubnet("10.1.0.0/24"), parseSubnet("10.1.1.0/24"))).toBe(false);
  });
  test("the next free /24 of a pool", () => {
    const pool = parseSubnet("10.214.0.0/16");
    expect(formatSubnet(nextSubnet(pool, 24, []))).toBe("10.214.0.0/24");
    expect(formatSubnet(nextSubnet(pool, 24, [parseSubnet("10.214.0.0/23"), parseSubnet("10.214.3.0/24")]))).toBe("10.214.2.0/24");
    expect(() => nextSubnet(parseSubnet("10.9.0.0/24"), 24, [parseSubnet("10.0.0.0/8")])).toThrow(/no free \/24/);
  });
});

describe("allocate", () => {
  const s = parseSubnet("10.5.0.0/29"); // hosts .1-.6, gateway .1
  test("lowest free host address, never the gateway, network or broadcast", () => {
    expect(allocate(s, "10.5.0.1", [])).toBe("10.5.0.2");
    expect(allocate(s, "10.5.0.1", ["10.5.0.2", "10.5.0.4"])).toBe("10.5.0.3");
    expect(() => allocate(s, "10.5.0.1", ["10.5.0.2", "10.5.0.3", "10.5.0.4", "10.5.0.5", "10.5.0.6"])).toThrow(/no free address left in 10.5.0.0\/29/);
  });
  test("a requested address", () => {
    expect(allocate(s, "10.5.0.1", [], "10.5.0.6")).toBe("10.5.0.6");
    expect(() => allocate(s, "10.5.0.1", ["10.5.0.6"], "10.5.0.6")).toThrow(/already in use/);
    expect(() => allocate(s, "10.5.0.1", [], "10.5.0.1")).toThrow(/already in use/);
    expect(() => allocate(s, "10.5.0.1", [], "10.5.0.7")).toThrow(/not a host address/);
    expect(() => allocate(s, "10.5.0.1", [], "10.6.0.2")).toThrow(/not a host address/);
  });
  test("MAC from the address, as Docker", () => {
    expect(macFor("172.17.0.2")).toBe("02:42:ac:11:00:02");
  });
});

describe("files", () => {
  test("/etc/hosts: localhost, extra hosts, the container itself", () => {
    const h = hostsBase("10.5.0.2", "web", ["db:10.9.9.9"]);
    expect(h.startsWith("127.0.0.1\tlocalhost\n")).toBe(true);
    expect(h.endsWith("10.9.9.9\tdb\n10.5.0.2\tweb\n")).toBe(true);
  });
  test("/etc/resolv.conf: the host's, without loopback servers; --dns wins", () => {
    const host = "nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0\n";
    expect(resolvConf([], [], host)).toBe("nameserver 10.0.0.2\nsearch corp.example\noptions edns0\n");
    expect(resolvConf([], [], "nameserver 127.0.0.53\n")).toBe("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    expect(resolvConf(["1.1.1.1"], ["a.example"], host)).toBe("nameserver 1.1.1.1\nsearch a.example\noptions edns0\n");
  });
});
