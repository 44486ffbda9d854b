// The embedded DNS server's message codec and name table, without sockets.
import { describe, expect, test } from "bun:test";
import { answer, messageId, parseQuery, QTYPE, RCODE } from "../../../net/dns/message.ts";
import { hostNameservers, hostSearch, lookup, namesOf } from "../../../net/dns/server.ts";
import type { NetworkRecord } from "../../../net/store.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** "db.local" A IN, id 0x1234, RD: as `nslookup` sends it */
const QUERY = Buffer.from("1234" + "0100" + "0001" + "0000" + "0000" + "0000" + "02" + "6462" + "05" + "6c6f63616c" + "00" + "0001" + "0001", "hex");

describe("DNS messages", () => {
  test("a query's question: id, RD, the name in lower case, type and class", () => {
    const q = parseQuery(new Uint8Array(QUERY))!;
    expect(q).toMatchObject({ id: 0x1234, recursionDesired: true, name: "db.local", qtype: QTYPE.A, qclass: 1 });
    expect(hex(q.question)).toBe("02646205" + "6c6f63616c" + "00" + "0001" + "0001");
    const upper = new Uint8Array(QUERY);
    upper[13] = 0x44; // "Db"
    expect(parseQuery(upper)!.name).toBe("db.local");
  });

  test("not a query: a response, another opcode, a truncated name", () => {
    const resp = new Uint8Array(QUERY);
    resp[2] = resp[2]! | 0x80;
    expect(parseQuery(resp)).toBeUndefined();
    const notify = new Uint8Array(QUERY);
    notify[2] = notify[2]! | (4 << 3);
    expect(parseQuery(notify)).toBeUndefined();
    expect(parseQuery(new Uint8Array(QUERY).subarray(0, 18))).toBeUndefined();
    expect(parseQuery(new Uint8Array(5))).toBeUndefined();
  });

  test("an A answer points at the question's name", () => {
    const a = answer(parseQuery(new Uint8Array(QUERY))!, ["10.1.2.3"], 600);
    expect(hex(a)).toBe(
      "1234" + "8580" + "0001" + "0001" + "0000" + "0000" + // QR AA RD RA, NOERROR; one question, one answer
      "02646205" + "6c6f63616c" + "00" + "0001" + "0001" +
      "c00c" + "0001" + "0001" + "00000258" + "0004" + "0a010203", // pointer, A, IN, ttl 600, 4 bytes
    );
    expect(messageId(a)).toBe(0x1234);
  });

  test("no records: NOERROR empty, or the rcode given", () => {
    const q = parseQuery(new Uint8Array(QUERY))!;
    expect(hex(answer(q, []).subarray(2, 8))).toBe("8580" + "0001" + "0000");
    expect(answer(q, [], 0, RCODE.SERVFAIL)[3]! & 0xf).toBe(2);
  });
});

describe("names and upstreams", () => {
  test("every endpoint by name, alias and short id, case-insensitive", () => {
    const net = { endpoints: {
      ["a".repeat(64)]: { container: "a".repeat(64), name: "Web", aliases: ["api"], ip: "10.0.0.2" },
      ["b".repeat(64)]: { container: "b".repeat(64), name: "db", aliases: [], ip: "10.0.0.3" },
    } } as unknown as NetworkRecord;
    const m = namesOf(net);
    expect(m.get("web")).toBe("10.0.0.2");
    expect(m.get("api")).toBe("10.0.0.2");
    expect(m.get("b".repeat(12))).toBe("10.0.0.3");
    expect(m.get("nope")).toBeUndefined();
  });

  test("name.<network> and name.<search domain> are the name; other suffixes are not", () => {
    const names = new Map([["web", "10.0.0.2"]]);
    const sfx = ["front", ...hostSearch("search corp.example lan\n")];
    expect(sfx).toEqual(["front", "corp.example", "lan"]);
    expect(lookup(names, "web", sfx)).toBe("10.0.0.2");
    expect(lookup(names, "web.front", sfx)).toBe("10.0.0.2");
    expect(lookup(names, "web.corp.example", sfx)).toBe("10.0.0.2");
    expect(lookup(names, "web.other", sfx)).toBeUndefined();
    expect(lookup(names, "www", sfx)).toBeUndefined();
  });

  test("the host's IPv4 resolvers, loopback included (the server runs on the host)", () => {
    expect(hostNameservers("# x\nnameserver 127.0.0.53\nnameserver ::1\nsearch lan\nnameserver 10.0.0.1\n")).toEqual(["127.0.0.53", "10.0.0.1"]);
  });
});
