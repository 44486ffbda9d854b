// DNS messages (RFC 1035), only what an embedded resolver needs: read the
// question of a query, write an answer of A records or an empty/error one.
// Pure: unit-tested without sockets (tests/unit/net/dns.test.ts).
//
//   header (12) | id u16 | flags u16 | qdcount | ancount | nscount | arcount |   (big-endian)
//   question    | name as labels (len, bytes)..., 0 | qtype u16 | qclass u16 |
//   answer      | name (a pointer 0xc00c to the question's) | type | class | ttl u32 | rdlength | rdata |

export const QTYPE = { A: 1, AAAA: 28 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3 } as const;

export interface Query {
  id: number;
  /** the client's RD bit, echoed back */
  recursionDesired: boolean;
  /** lower-case, without the trailing dot */
  name: string;
  qtype: number;
  qclass: number;
  /** the bytes of the question section, copied into the answer */
  question: Uint8Array;
}

/** The first question of a standard query; undefined for anything else (a response, no question, a bad name). */
export function parseQuery(buf: Uint8Array): Query | undefined {
  if (buf.length < 12) return undefined;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const flags = dv.getUint16(2);
  if (flags & 0x8000 || ((flags >> 11) & 0xf) !== 0 || dv.getUint16(4) < 1) return undefined; // a response, not QUERY, no question
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    if (off >= buf.length) return undefined;
    const len = buf[off]!;
    if (len === 0) break;
    if (len > 63 || off + 1 + len > buf.length) return undefined; // pointers have no place in a question
    labels.push(new TextDecoder().decode(buf.subarray(off + 1, off + 1 + len)));
    off += 1 + len;
  }
  off += 1;
  if (off + 4 > buf.length) return undefined;
  return {
    id: dv.getUint16(0),
    recursionDesired: (flags & 0x0100) !== 0,
    name: labels.join(".").toLowerCase(),
    qtype: dv.getUint16(off),
    qclass: dv.getUint16(off + 2),
    question: buf.slice(12, off + 4),
  };
}

/**
 * The answer to a query: the A records given (none: an empty NOERROR, or
 * the rcode given), authoritative, recursion available.
 */
export function answer(q: Query, ips: string[], ttl = 600, rcode: number = RCODE.NOERROR): Uint8Array {
  const rr = 16; // pointer 2 + type 2 + class 2 + ttl 4 + rdlength 2 + address 4
  const out = new Uint8Array(12 + q.question.length + ips.length * rr);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, q.id);
  dv.setUint16(2, 0x8000 | 0x0400 | (q.recursionDesired ? 0x0100 : 0) | 0x0080 | (rcode & 0xf)); // QR, AA, RD, RA, rcode
  dv.setUint16(4, 1);
  dv.setUint16(6, ips.length);
  out.set(q.question, 12);
  let off = 12 + q.question.length;
  for (const ip of ips) {
    dv.setUint16(off, 0xc00c); // the name at offset 12: the question's
    dv.setUint16(off + 2, QTYPE.A);
    dv.setUint16(off + 4, 1); // IN
    dv.setUint32(off + 6, ttl);
    dv.setUint16(off + 10, 4);
    out.set(ip.split(".").map(Number), off + 12);
    off += rr;
  }
  return out;
}

/** The id of a message (to match an upstream's reply to the query relayed). */
export const messageId = (buf: Uint8Array) => (buf.length >= 2 ? (buf[0]! << 8) | buf[1]! : -1);
