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

/** Above this many unread bytes the socket stops reading (a client uploading faster than a route consumes). */
const HIGH_WATER = 4 << 20;

export class Conn {
  /** unread bytes, as they came; joined only when a delimiter is looked for */
  private chunks: Buffer[] = [];
  private size = 0;
  private paused = false;
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
    // an empty chunk would come out of readSome as an empty read, not data
    if (!data.length) return;
    this.chunks.push(Buffer.from(data));
    this.size += data.length;
    if (this.size > HIGH_WATER && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.wake();
  }

  /** All unread bytes as one buffer (cheap when there is one chunk). */
  private get pending(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Consumes the first n unread bytes. */
  private take(n: number): Buffer {
    const all = this.pending;
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.size = rest.length;
    if (this.paused && this.size < HIGH_WATER / 4) {
      this.paused = false;
      this.socket.resume();
    }
    return out;
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
    return this.size;
  }

  /** Up to max bytes of whatever is there, waiting for some; null at end of stream. */
  async readSome(max = 1 << 20): Promise<Uint8Array | null> {
    while (this.size === 0) {
      if (this.ended) return null;
      await this.waitData();
    }
    // the first chunk as it came: no copy of what follows it
    const first = this.chunks[0]!;
    if (first.length <= max) {
      this.chunks.shift();
      this.size -= first.length;
      if (this.paused && this.size < HIGH_WATER / 4) {
        this.paused = false;
        this.socket.resume();
      }
      return first;
    }
    return this.take(max);
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
      if (started || this.size === 0) return;
      started = true;
      deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    };
    firstByte();
    for (;;) {
      const i = this.pending.indexOf(delim);
      if (i >= 0 && i + delim.length <= max) return this.take(i + delim.length);
      if (this.size >= max || i >= 0) throw new TooLong();
      if (this.ended) throw new ConnClosed(this.size ? "connection closed mid-request" : "connection closed");
      const left = deadline === undefined ? undefined : deadline - Date.now();
      if (left !== undefined && left <= 0) throw new Timeout();
      if (!(await this.waitData(left))) throw new Timeout();
      firstByte();
    }
  }

  async readExact(n: number): Promise<Buffer> {
    while (this.size < n) {
      if (this.ended) throw new ConnClosed("connection closed mid-body");
      await this.waitData();
    }
    return this.take(n);
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
