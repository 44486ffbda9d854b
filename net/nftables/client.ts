// A NETLINK_NETFILTER socket speaking nf_tables: batches (atomic), rule
// dumps of one table, the ruleset generation. Like net/netlink/client.ts, it
// stays bound to the network namespace it was opened in.
import { SysError } from "../../runtime/sys/errno.ts";
import { close, recv, sendto } from "../../runtime/sys/libc.ts";
import { KERNEL, NETLINK_NETFILTER, openNetlink, recvBuffer } from "../netlink/socket.ts";
import { decodeAttrs, decodeError, decodeMessages, type Message, NLMSG, readStr } from "../netlink/codec.ts";
import { type Command, encodeBatch, encodeGetGen, encodeGetTable, encodeRuleDump, NFNL_SUBSYS_NFTABLES, NFT_MSG, NFTA_GEN_ID, NFTA_RULE, parseComment } from "./codec.ts";

const MSG_DONTWAIT = 0x40, EAGAIN = 11, ENOENT = 2;
function msgName(type: number): string {
  const k = Object.keys(NFT_MSG).find((k) => ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG[k as keyof typeof NFT_MSG]) === type);
  return k ? `NFT_MSG_${k}` : "nf_tables";
}

/** A refused nf_tables request: which message, the errno, the kernel's words when it gave some. */
export class NftError extends SysError {
  constructor(op: string, errno: number, what: string, readonly detail?: string) {
    super(op, errno, what);
    if (detail) this.message += ` (${detail})`;
  }
}

export interface Rule {
  chain: string;
  handle: bigint;
  comment?: string;
}

export class Nftables {
  private seq = Math.floor(Math.random() * 1e6) * 16;
  private buf = recvBuffer();
  private constructor(readonly fd: number) {}

  static open(): Nftables {
    return new Nftables(openNetlink(NETLINK_NETFILTER));
  }

  close(): void {
    close(this.fd);
  }

  /**
   * Sends one batch and checks every command's answer. The kernel handles a
   * batch within sendto, so every answer is queued when it returns: they are
   * read without blocking (as nft does), until each command has its answer
   * (or the batch as a whole was refused). Throws NftError for the first refusal.
   * Returns what commands sent with NLM_F_ECHO were answered with.
   */
  batch(commands: Command[], what: string, genid?: number): Message[] {
    const notes: Message[] = [];
    if (commands.length === 0) return notes;
    const seq = this.seq;
    this.seq += commands.length + 2;
    sendto(this.fd, encodeBatch(commands, seq, genid), KERNEL);
    const acked = new Set<number>();
    let refused: NftError | undefined;
    let answered = 0, whole = false;
    while (answered < commands.length && !whole) {
      let n: number;
      try {
        n = recv(this.fd, this.buf, MSG_DONTWAIT);
      } catch (e) {
        if (e instanceof SysError && e.errno === EAGAIN) break;
        throw e;
      }
      for (const m of decodeMessages(this.buf.subarray(0, n))) {
        // what a command asked for with NLM_F_ECHO: the objects it made, the generation it committed
        if (m.type !== NLMSG.ERROR) {
          if (m.seq >= seq && m.seq <= seq + commands.length + 1) notes.push({ ...m, payload: m.payload.slice() });
          continue;
        }
        if (m.seq < seq || m.seq > seq + commands.length + 1) continue;
        const { errno, message } = decodeError(m);
        const k = m.seq - seq - 1;
        if (commands[k]) answered++;
        else whole = true; // BEGIN or END: the batch itself (a stale generation, no memory)
        const op = commands[k] ? msgName(commands[k]!.type) : "nf_tables batch";
        if (errno !== 0) refused ??= new NftError(op, errno, what, message);
        else acked.add(m.seq);
      }
    }
    if (refused) throw refused;
    if (acked.size < commands.length) throw new NftError("nf_tables batch", EAGAIN, `${what}: ${commands.length - acked.size} of ${commands.length} commands unanswered`);
    return notes;
  }

  /** The rules of one table, with handle and comment; none when it does not exist. */
  rules(table: string): Rule[] {
    const seq = ++this.seq;
    sendto(this.fd, encodeRuleDump(table, seq), KERNEL);
    const out: Rule[] = [];
    try {
      for (const m of this.replies(seq, "rule dump")) {
        if (m.type !== ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG.NEWRULE)) continue;
        const a = decodeAttrs(m.payload.subarray(4));
        const handle = a.get(NFTA_RULE.HANDLE);
        out.push({
          chain: readStr(a.get(NFTA_RULE.CHAIN) ?? new Uint8Array()),
          handle: handle ? new DataView(handle.buffer, handle.byteOffset, 8).getBigUint64(0, false) : 0n,
          comment: parseComment(a.get(NFTA_RULE.USERDATA)),
        });
      }
    } catch (e) {
      if (e instanceof NftError && e.errno === ENOENT) return [];
      throw e;
    }
    return out;
  }

  /** Does the IPv4 table exist? */
  hasTable(table: string): boolean {
    const seq = ++this.seq;
    sendto(this.fd, encodeGetTable(table, seq), KERNEL);
    try {
      return this.replies(seq, `table ip ${table}`).length > 0;
    } catch (e) {
      if (e instanceof NftError && e.errno === ENOENT) return false;
      throw e;
    }
  }

  /** The ruleset generation: a batch sent with it is refused (ERESTART) if anything changed since. */
  generation(): number {
    const seq = ++this.seq;
    sendto(this.fd, encodeGetGen(seq), KERNEL);
    for (const m of this.replies(seq, "generation")) {
      const id = genOf(m);
      if (id !== undefined) return id;
    }
    throw new NftError("NFT_MSG_GETGEN", EAGAIN, "no generation in the reply");
  }

  /** Reads a request's replies: a dump until DONE, a single answer until its message. */
  private replies(seq: number, what: string): Message[] {
    const out: Message[] = [];
    for (;;) {
      const n = recv(this.fd, this.buf);
      for (const m of decodeMessages(this.buf.subarray(0, n))) {
        if (m.seq !== seq) continue;
        if (m.type === NLMSG.DONE) return out;
        if (m.type === NLMSG.ERROR) {
          const { errno, message } = decodeError(m);
          if (errno !== 0) throw new NftError("nf_tables", errno, what, message);
          return out;
        }
        out.push({ ...m, payload: m.payload.slice() });
        if (!(m.flags & 0x2 /* MULTI */)) return out;
      }
    }
  }
}

/** The generation a NEWGEN message (a GETGEN reply, or a batch's echo) carries. */
export function genOf(m: Message): number | undefined {
  const id = decodeAttrs(m.payload.subarray(4)).get(NFTA_GEN_ID);
  return id && new DataView(id.buffer, id.byteOffset, 4).getUint32(0, false);
}

export function withNftables<T>(fn: (nft: Nftables) => T): T {
  const nft = Nftables.open();
  try {
    return fn(nft);
  } finally {
    nft.close();
  }
}
