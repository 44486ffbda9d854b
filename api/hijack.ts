// Hijacked connections: Docker's attach and exec start answer
// `101 UPGRADED` and then use the raw connection both ways (the container's
// output to the client, the client's stdin to the container). A handler
// returns hijack(fn); the server (api/server.ts) writes the 101 and calls fn
// with the raw stream. Output without a TTY is multiplexed: each frame is an
// 8-byte header (stream 0/1/2, three zero bytes, big-endian length), then
// the bytes.

export interface RawStream {
  /** resolves once the socket took the bytes; rejects when the client is gone */
  write(b: Uint8Array | string): Promise<void>;
  /** the client's bytes (stdin); null once it half-closed or left */
  read(): Promise<Uint8Array | null>;
  /** FIN to the client: it sees the end of the output */
  closeWrite(): Promise<void>;
  /** called when the client disconnects */
  onClose(h: () => void): void;
  readonly closed: boolean;
}

export type HijackHandler = (raw: RawStream) => Promise<void>;

const hijacks = new WeakMap<Response, HijackHandler>();

/** A Response standing for "take over the connection with this handler". */
export function hijack(handler: HijackHandler): Response {
  const r = new Response(null, { status: 200 });
  hijacks.set(r, handler);
  return r;
}

export function hijackOf(r: Response): HijackHandler | undefined {
  return hijacks.get(r);
}

export type StreamKind = 0 | 1 | 2;

/** One frame of Docker's multiplexed stream (stdin 0, stdout 1, stderr 2). */
export function frame(kind: StreamKind, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  out[0] = kind;
  new DataView(out.buffer).setUint32(4, data.length, false);
  out.set(data, 8);
  return out;
}
