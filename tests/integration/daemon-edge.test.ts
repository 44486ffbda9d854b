// `ctr daemon` at its edges: who may connect (socket mode and group, TCP
// only on loopback or with TLS client certificates), a stale or live socket
// at start, and bad input (malformed JSON, unknown fields, oversized bodies,
// slow clients, path traversal), after each of which it keeps serving.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { ctrGroup } from "../../api/hosts.ts";
import { type Daemon, dockerCli, dockerConfigDir, freePort, startDaemon, waitPing } from "./daemon-harness.ts";
import { testRoot } from "./harness.ts";

const t = testRoot("daemon-edge");
const cfgDir = dockerConfigDir();
const work = mkdtempSync("/tmp/ctr-test-daemon-edge-");
const SOCK = `${t.root}/api.sock`;
const daemons: Daemon[] = [];
const start = (args: string[], env: Record<string, string> = {}) => {
  const d = startDaemon(t.root, args, env);
  daemons.push(d);
  return d;
};

// a short header timeout, so the slow-client test is quick
const main = start(["-H", `unix://${SOCK}`], { CTR_DAEMON_HEADER_TIMEOUT_MS: "800" });
await waitPing(SOCK, main);

afterAll(async () => {
  for (const d of daemons) {
    d.proc.kill("SIGTERM");
    await d.proc.exited;
  }
  rmSync(cfgDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const api = (path: string, init: RequestInit = {}) => fetch(`http://ctr${path}`, { unix: SOCK, ...init });
const ping = async () => (await api("/_ping")).status;

/** A raw request on a fresh connection; resolves with all the daemon sent until it closed (or the timeout). */
function raw(bytes: string | Uint8Array, waitMs = 5000, slowMs = 0): Promise<string> {
  return new Promise((res) => {
    const s = connect(SOCK);
    let got = "";
    s.on("data", (d) => (got += d.toString()));
    s.on("close", () => res(got));
    // a write after the daemon answered and closed fails (EPIPE) before the answer may have been
    // read: "close" follows, with all that came
    s.on("error", () => {});
    s.on("connect", async () => {
      if (slowMs) {
        for (const ch of String(bytes)) {
          s.write(ch);
          await Bun.sleep(slowMs);
          if (s.destroyed || got) break;
        }
      } else s.write(bytes);
    });
    setTimeout(() => {
      s.destroy();
      res(got);
    }, waitMs);
  });
}

describe("bad input: a 4xx JSON error, and the daemon keeps serving", () => {
  test("malformed JSON", async () => {
    const r = await api("/v1.45/containers/create", { method: "POST", body: "{not json", headers: { "Content-Type": "application/json" } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toMatch(/^invalid JSON/);
    expect(await ping()).toBe(200);
  });

  test("unknown fields, at the top and in HostConfig", async () => {
    const top = await api("/v1.45/containers/create", { method: "POST", body: JSON.stringify({ Image: "busybox", Imagee: "x" }) });
    expect(top.status).toBe(400);
    expect(((await top.json()) as { message: string }).message).toContain('unknown field "Imagee"');
    const hc = await api("/v1.45/containers/create", { method: "POST", body: JSON.stringify({ Image: "busybox", HostConfig: { Memroy: 1 } }) });
    expect(hc.status).toBe(400);
    expect(((await hc.json()) as { message: string }).message).toContain('"HostConfig.Memroy"');
    const unsupported = await api("/v1.45/containers/create", { method: "POST", body: JSON.stringify({ Image: "busybox", HostConfig: { OomKillDisable: true } }) });
    expect(unsupported.status).toBe(400);
    expect(((await unsupported.json()) as { message: string }).message).toBe("HostConfig.OomKillDisable: not supported by ctr");
  });

  test("oversized bodies: 413, by the JSON cap and by a declared length", async () => {
    const big = JSON.stringify({ Image: "busybox", Labels: { a: "x".repeat(2 << 20) } });
    const r = await api("/v1.45/containers/create", { method: "POST", body: big });
    expect(r.status).toBe(413);
    const declared = await raw("POST /v1.45/containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n");
    expect(declared).toStartWith("HTTP/1.1 413 ");
    expect(await ping()).toBe(200);
  });

  test("malformed requests: bad request line, oversized headers", async () => {
    expect(await raw("GARBAGE\r\n\r\n")).toStartWith("HTTP/1.1 400 ");
    expect(await raw(`GET /_ping HTTP/1.1\r\nX-Big: ${"a".repeat(70000)}\r\n\r\n`)).toStartWith("HTTP/1.1 431 ");
    expect(await ping()).toBe(200);
  });

  test("a slow client: 408 once the header timeout passes, others served meanwhile", async () => {
    const slow = raw("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n", 6000, 200);
    await Bun.sleep(300);
    expect(await ping()).toBe(200);
    expect(await slow).toStartWith("HTTP/1.1 408 ");
  });

  test("path traversal in names: refused before it reaches a file name", async () => {
    const r = await api("/v1.45/containers/..%2F..%2F..%2Fetc%2Fhostname/json");
    expect(r.status).toBe(400);
    const c = await api("/v1.45/containers/create?name=..%2Fx", { method: "POST", body: JSON.stringify({ Image: "busybox" }) });
    expect(c.status).toBe(400);
    expect(((await c.json()) as { message: string }).message).toMatch(/invalid container name/i);
    expect((await api("/v1.45/containers/nosuch/json")).status).toBe(404);
    expect((await api("/v1.45/nowhere")).status).toBe(404);
    expect((await api("/v1.45/version", { method: "POST" })).status).toBe(405);
    expect((await api("/v1.99/version")).status).toBe(400);
    expect(await ping()).toBe(200);
  });

  test("keep-alive: several requests on one connection, chunked body accepted", async () => {
    const body = JSON.stringify({ Image: "busybox", Imagee: 1 });
    const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const out = await raw(`GET /_ping HTTP/1.1\r\nHost: x\r\n\r\nPOST /containers/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const statuses = [...out.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    expect(statuses).toEqual(["200", "400", "200"]);
    expect(out).toContain('unknown field \\"Imagee\\"');
  });
});

describe("who may connect", () => {
  test("the unix socket: mode 0660, root and the group ctr (when it exists)", () => {
    const st = statSync(SOCK);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.uid).toBe(0);
    expect(st.gid).toBe(ctrGroup() ?? 0);
  });

  test("a socket a live daemon answers on is not taken over", async () => {
    const d = start(["-H", `unix://${SOCK}`]);
    expect(await d.proc.exited).toBe(1);
    expect(await d.stderr()).toContain("another daemon is listening on this socket");
    expect(await ping()).toBe(200);
  });

  test("a file that is not a socket is not removed", async () => {
    const p = join(work, "not-a-socket");
    writeFileSync(p, "keep");
    const d = start(["-H", `unix://${p}`]);
    expect(await d.proc.exited).toBe(1);
    expect(await d.stderr()).toContain("exists and is not a socket");
    expect(statSync(p).size).toBe(4);
  });

  test("plain TCP: served on loopback, refused elsewhere unless --insecure-tcp (which warns)", async () => {
    const refused = start(["-H", `tcp://0.0.0.0:${await freePort()}`]);
    expect(await refused.proc.exited).toBe(1);
    expect(await refused.stderr()).toContain("plain TCP is only served on loopback");
    const port = await freePort();
    const d = start(["-H", `tcp://127.0.0.1:${port}`, "--insecure-tcp"]);
    for (let i = 0; i < 200; i++) {
      if ((await fetch(`http://127.0.0.1:${port}/_ping`).catch(() => undefined))?.ok) break;
      await Bun.sleep(20);
    }
    expect(dockerCli(`tcp://127.0.0.1:${port}`, cfgDir).ok(["version", "--format", "{{.Server.APIVersion}}"]).trim()).toBe("1.45");
    d.proc.kill("SIGTERM");
    await d.proc.exited;
    expect(await d.stderr()).toContain("WARNING: --insecure-tcp");
  });

  test("TLS: a client certificate from the daemon's CA is required", async () => {
    const ssl = (args: string[]) => {
      const p = Bun.spawnSync(["openssl", ...args], { cwd: work, stderr: "pipe" });
      if (p.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${p.stderr}`);
    };
    const ca = (name: string) => ssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}-key.pem`, "-out", `${name}.pem`, "-days", "1", "-subj", `/CN=${name}`]);
    const cert = (name: string, signer: string, ext: string) => {
      ssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
      writeFileSync(join(work, `${name}.ext`), ext);
      ssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${signer}.pem`, "-CAkey", `${signer}-key.pem`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "1", "-extfile", `${name}.ext`]);
    };
    ca("ca");
    ca("other-ca");
    cert("server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    cert("client", "ca", "extendedKeyUsage=clientAuth\n");
    cert("stranger", "other-ca", "extendedKeyUsage=clientAuth\n");
    const f = (n: string) => join(work, n);

    expect(await start(["-H", "tcp://127.0.0.1:1", "--tlscert", f("server.pem")]).proc.exited).toBe(1);
    const port = await freePort();
    const d = start(["-H", `tcp://127.0.0.1:${port}`, "--tlsverify", "--tlscacert", f("ca.pem"), "--tlscert", f("server.pem"), "--tlskey", f("server-key.pem")]);
    const tlsDocker = (c: string) => dockerCli(`tcp://127.0.0.1:${port}`, cfgDir, ["--tlsverify", "--tlscacert", f("ca.pem"), "--tlscert", f(`${c}.pem`), "--tlskey", f(`${c}-key.pem`)]);
    let v = tlsDocker("client").run(["version", "--format", "{{.Server.APIVersion}}"]);
    for (let i = 0; i < 100 && v.code !== 0; i++) {
      await Bun.sleep(50);
      v = tlsDocker("client").run(["version", "--format", "{{.Server.APIVersion}}"]);
    }
    expect(v.stdout.trim()).toBe("1.45");
    expect(tlsDocker("client").ok(["ps", "-a", "--format", "{{.ID}}"])).toBe("");
    // a certificate from another CA, none at all, or no TLS: no answer
    expect(tlsDocker("stranger").run(["version"]).code).not.toBe(0);
    const noCert = Bun.spawnSync(["curl", "-s", "--max-time", "5", "--cacert", f("ca.pem"), `https://127.0.0.1:${port}/_ping`]);
    expect(noCert.exitCode).not.toBe(0);
    expect(noCert.stdout.toString()).toBe("");
    const plain = await fetch(`http://127.0.0.1:${port}/_ping`).then((r) => r.status).catch(() => "refused");
    expect(plain).toBe("refused");
    d.proc.kill("SIGTERM");
    await d.proc.exited;
  }, 60000);
});
