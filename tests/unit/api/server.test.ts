// The daemon's HTTP/1.1 server with routes of the test's own, on a temp unix
// socket (no root): bodies in and out (Content-Length, chunked, streamed with
// headers first), a hijacked connection both ways with a half-close, errors.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { frame, hijack } from "../../../api/hijack.ts";
import { ApiError, json, type Route } from "../../../api/route.ts";
import { DEFAULT_SERVER_OPTIONS, listen } from "../../../api/server.ts";

const dir = mkdtempSync("/tmp/ctr-unit-api-");
const sock = join(dir, "s.sock");
const logged: string[] = [];
/** the streamed route sends its second chunk only once the test opened this gate */
let openGate = () => {};
const gate = () => new Promise<void>((r) => (openGate = r));

const routes: Route[] = [
  { method: "POST", path: /^\/echo$/, handle: async (req) => new Response(await req.arrayBuffer()) },
  { method: "GET", path: /^\/fail$/, handle: () => { throw new ApiError(409, "conflict here"); } },
  { method: "GET", path: /^\/crash$/, handle: () => { throw new Error("boom"); } },
  { method: "GET", path: /^\/items\/([^/]+)$/, handle: (_req, m) => json({ item: decodeURIComponent(m[1]!) }) },
  {
    method: "GET",
    path: /^\/slow$/,
    handle: () => new Response(new ReadableStream({
      async start(c) {
        c.enqueue(new TextEncoder().encode("first\n"));
        await gate();
        c.enqueue(new TextEncoder().encode("second\n"));
        c.close();
      },
    })),
  },
  {
    method: "POST",
    path: /^\/upper$/,
    handle: () => hijack(async (raw) => {
      for (let b = await raw.read(); b !== null; b = await raw.read()) await raw.write(new TextDecoder().decode(b).toUpperCase());
      await raw.write("BYE");
      await raw.closeWrite();
    }),
  },
];

const server = listen({ unix: sock }, { ...DEFAULT_SERVER_OPTIONS, routes, serverHeader: "test", log: (m) => logged.push(m) });
afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, init: RequestInit = {}) => fetch(`http://x${path}`, { unix: sock, ...init });

describe("api/server", () => {
  test("bodies: Content-Length in and out, and a chunked upload of 8 MiB", async () => {
    const r = await get("/v1.45/echo", { method: "POST", body: "hello" });
    expect([r.status, r.headers.get("content-length"), await r.text()]).toEqual([200, "5", "hello"]);
    const big = new Uint8Array(8 << 20).map((_, i) => i % 251);
    const stream = new ReadableStream({
      start(c) {
        for (let off = 0; off < big.length; off += 1 << 20) c.enqueue(big.subarray(off, off + (1 << 20)));
        c.close();
      },
    });
    const back = new Uint8Array(await (await get("/echo", { method: "POST", body: stream })).arrayBuffer());
    expect(back.length).toBe(big.length);
    expect(Buffer.compare(back, big)).toBe(0);
  });

  test("a streamed body: headers and the first chunk before the rest exists", async () => {
    const r = await get("/slow");
    expect(r.headers.get("transfer-encoding")).toBe("chunked");
    const reader = r.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("first\n");
    openGate();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("second\n");
    expect((await reader.read()).done).toBe(true);
  });

  test("errors: Docker's {message} with the status; 404, 405, a crash is a 500 and logged", async () => {
    const f = await get("/fail");
    expect([f.status, await f.json()]).toEqual([409, { message: "conflict here" }]);
    expect((await get("/nope")).status).toBe(404);
    expect((await get("/fail", { method: "POST" })).status).toBe(405);
    const c = await get("/crash");
    expect([c.status, await c.json()]).toEqual([500, { message: "boom" }]);
    expect(logged.some((l) => l.includes("boom"))).toBe(true);
    expect(await (await get("/items/a%2Fb")).json()).toEqual({ item: "a/b" });
    expect((await get("/_ping", { method: "HEAD" })).status).toBe(404);
  });

  test("hijack: 101 UPGRADED, bytes both ways, the client's half-close ends its input", async () => {
    const got = await new Promise<string>((res) => {
      const s = connect(sock);
      let out = "";
      s.on("data", (d) => (out += d.toString()));
      s.on("close", () => res(out));
      s.on("connect", () => {
        s.write("POST /upper HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\nhello ");
        setTimeout(() => {
          s.write("world");
          s.end();
        }, 50);
      });
    });
    expect(got).toStartWith("HTTP/1.1 101 UPGRADED\r\n");
    expect(got.toLowerCase()).toContain("content-type: application/vnd.docker.raw-stream");
    expect(got.slice(got.indexOf("\r\n\r\n") + 4)).toBe("HELLO WORLDBYE");
  });

  test("frame: Docker's 8-byte header, stream and big-endian length", () => {
    const f = frame(2, new TextEncoder().encode("err"));
    expect([...f.subarray(0, 8)]).toEqual([2, 0, 0, 0, 0, 0, 0, 3]);
    expect(new TextDecoder().decode(f.subarray(8))).toBe("err");
  });
});
