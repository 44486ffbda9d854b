// One client connection as the HTTP/1.1 server sees it: bytes arriving from
// the socket (read as lines, exact lengths or whatever is there) and writes
// that resolve once the socket took them. Bun's socket callbacks push data in;
// the server's per-connection loop pulls it out, so request parsing, bodies
// and hijacked streams are plain sequential code.
import type { Socket } from "bun";

export class ConnClosed extends Error {
  constructor(what = "connection closed") {
    super(what);
  }
}

export class Conn {
  private pending: Buffer = Buffer.alloc(0);
  private waiter?: () => void;
  /** the peer sent FIN (or the socket closed): no more data will arrive */
  ended = false;
  /** the socket is gone: writes fail */
  closed = false;
  private outQueue: Uint8Array[] = [];
  private flushed: (() => void)[] = [];
  private closeHooks: (() => void)[] = [];

  constructor(readonly socket: Socket<unknown>) {}

  // ---- fed by the socket handlers ----
  push(data: Uint8Array): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : Buffer.from(data);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  onClosed(): void {
    this.ended = true;
    this.closed = true;
    this.outQueue = [];
    for (const f of this.flushed.splice(0)) f();
    for (const h of this.closeHooks.splice(0)) h();
    this.wake();
  }

  /** Called once, when the socket closes (for hijacked streams: stop copying). */
  onClose(h: () => void): void {
    if (this.closed) h();
    else this.closeHooks.push(h);
  }

  drain(): void {
    while (this.outQueue.length) {
      const b = this.outQueue[0]!;
      const n = this.socket.write(b);
      if (n < 0) return;
      if (n < b.length) {
        this.outQueue[0] = b.subarray(n);
        return;
      }
      this.outQueue.shift();
    }
    for (const f of this.flushed.splice(0)) f();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Resolves when more data arrived, the peer ended, or the timeout passed (false). */
  private waitData(timeoutMs?: number): Promise<boolean> {
    if (this.ended) return Promise.resolve(true);
    return new Promise((res) => {
      let t: Timer | undefined;
      this.waiter = () => {
        if (t) clearTimeout(t);
        res(true);
      };
      if (timeoutMs !== undefined) {
        t = setTimeout(() => {
          this.waiter = undefined;
          res(false);
        }, timeoutMs);
      }
    });
  }

  get buffered(): number {
    return this.pending.length;
  }

  /** Up to max bytes of whatever is there, waiting for some; null at end of stream. */
  async readSome(max = 1 << 20): Promise<Uint8Array | null> {
    while (this.pending.length === 0) {
      if (this.ended) return null;
      await this.waitData();
    }
    const n = Math.min(max, this.pending.length);
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }

  /**
   * Bytes up to and including `delim`, at most `max` of them. Throws
   * ConnClosed at end of stream, TooLong past `max`, Timeout after `timeoutMs`
   * (from the call, so a client trickling bytes cannot hold a slot forever).
   */
  async readUntil(delim: string, max: number, timeoutMs?: number, idleMs?: number): Promise<Buffer> {
    // before the first byte the idle limit applies; from the first byte on, the timeout
    let started = false;
    let deadline = idleMs === undefined ? undefined : Date.now() + idleMs;
    const firstByte = () => {
      if (started || this.pending.length === 0) return;
      started = true;
      deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    };
    firstByte();
    for (;;) {
      const i = this.pending.indexOf(delim);
      if (i >= 0 && i + delim.length <= max) {
        const out = this.pending.subarray(0, i + delim.length);
        this.pending = this.pending.subarray(i + delim.length);
        return out;
      }
      if (this.pending.length >= max || i >= 0) throw new TooLong();
      if (this.ended) throw new ConnClosed(this.pending.length ? "connection closed mid-request" : "connection closed");
      const left = deadline === undefined ? undefined : deadline - Date.now();
      if (left !== undefined && left <= 0) throw new Timeout();
      if (!(await this.waitData(left))) throw new Timeout();
      firstByte();
    }
  }

  async readExact(n: number): Promise<Buffer> {
    while (this.pending.length < n) {
      if (this.ended) throw new ConnClosed("connection closed mid-body");
      await this.waitData();
    }
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }

  /** Resolves once the socket took every byte (backpressure for streams). */
  write(b: Uint8Array | string): Promise<void> {
    if (this.closed) return Promise.reject(new ConnClosed());
    const bytes = typeof b === "string" ? Buffer.from(b) : b;
    if (bytes.length === 0) return Promise.resolve();
    if (this.outQueue.length === 0) {
      const n = this.socket.write(bytes);
      if (n === bytes.length) return Promise.resolve();
      this.outQueue.push(bytes.subarray(Math.max(0, n)));
    } else this.outQueue.push(bytes);
    return new Promise((res, rej) => this.flushed.push(() => (this.closed ? rej(new ConnClosed()) : res())));
  }

  /** Half-close: FIN to the peer once everything queued is written. */
  async closeWrite(): Promise<void> {
    if (this.outQueue.length) await new Promise<void>((r) => this.flushed.push(r));
    if (!this.closed) this.socket.shutdown();
  }

  close(): void {
    if (!this.closed) this.socket.end();
  }
}

export class TooLong extends Error {}
export class Timeout extends Error {}
