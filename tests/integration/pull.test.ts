// Pull from Debian's docker-registry on 127.0.0.1 (started and stopped here),
// and from a fake registry (Bun.serve) that asks for a bearer token and serves
// a tampered blob.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { hostPlatform } from "../../image/manifest.ts";
import { writeTar } from "../../image/tar.ts";
import { gz, imageOf, rootfsEntries, servedManifest, sha256 } from "../fixtures/image.ts";
import { pushAuth, pushImage, pushManifest, type Registry, startRegistry } from "../fixtures/registry.ts";
import { CTR, ROOTFS, testRoot } from "./harness.ts";

const { root, ctr, ctrAsync } = testRoot("pull");
const data = join(root, "data");
let reg: Registry;
const base = gz(writeTar(rootfsEntries(ROOTFS, ["data", "host", "proc", "sys", "dev", "mnt", "ro", "www"])));
const enc = new TextEncoder();

beforeAll(async () => {
  mkdirSync(join(root, "registry"), { recursive: true });
  reg = await startRegistry(join(root, "registry"));
});
afterAll(async () => {
  await reg?.stop();
});

const ok = (args: string[]) => {
  const r = ctr(args);
  if (r.code !== 0) throw new Error(`ctr ${args.join(" ")}: ${r.code} ${r.stderr}`);
  return r.stdout;
};

describe("pull from a local docker-registry", () => {
  test("by tag: progress lines, verified blobs, then run it", async () => {
    const img = imageOf([base], { Cmd: ["echo", "pulled"] });
    await pushImage(reg.host, "test/busybox", "1.0", img.config, img.layers);
    const out = ok(["pull", `${reg.host}/test/busybox:1.0`]);
    const layer = sha256(base).slice(0, 12);
    expect(out).toContain(`1.0: Pulling from test/busybox\n`);
    expect(out).toContain(`${layer}: Pulling fs layer\n`);
    expect(out).toContain(`${layer}: Pull complete\n`);
    expect(out).toMatch(/Digest: sha256:[0-9a-f]{64}\n/);
    expect(out).toContain(`Status: Downloaded newer image for ${reg.host}/test/busybox:1.0\n`);
    expect(ok(["run", "--rm", "--net", "none", `${reg.host}/test/busybox:1.0`])).toBe("pulled\n");
    // again: nothing to download
    const again = ok(["pull", `${reg.host}/test/busybox:1.0`]);
    expect(again).toContain(`${layer}: Already exists`);
    expect(again).toContain("Status: Image is up to date");
  });

  test("a manifest list: this host's platform is picked", async () => {
    const mine = hostPlatform();
    const other = { architecture: mine.architecture === "arm64" ? "amd64" : "arm64", os: "linux" };
    const a = imageOf([base], { Cmd: ["echo", "mine"] });
    const bLayer = gz(writeTar([{ name: "other", type: "file", data: enc.encode("other arch") }]));
    const b = imageOf([bLayer], { Cmd: ["echo", "other"] });
    const ma = await pushImage(reg.host, "test/multi", `a-${mine.architecture}`, { ...a.config, architecture: mine.architecture }, a.layers);
    const mb = await pushImage(reg.host, "test/multi", `b-${other.architecture}`, { ...b.config, architecture: other.architecture }, b.layers);
    await pushManifest(reg.host, "test/multi", "latest", {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{ ...mb, platform: other }, { ...ma, platform: mine }],
    });
    ok(["pull", `${reg.host}/test/multi`]);
    expect(ok(["run", "--rm", "--net", "none", `${reg.host}/test/multi`])).toBe("mine\n");
    // RepoDigests names the index the registry has; pulling or running by it finds the same image
    const index = /Digest: (sha256:[0-9a-f]{64})/.exec(ok(["pull", `${reg.host}/test/multi`]))![1];
    expect(JSON.parse(ok(["image", "inspect", `${reg.host}/test/multi`]))[0].RepoDigests).toEqual([`${reg.host}/test/multi@${index}`]);
    expect(ok(["run", "--rm", "--net", "none", "--pull", "never", `${reg.host}/test/multi@${index}`])).toBe("mine\n");
    expect(existsSync(join(data, "blobs/sha256", sha256(bLayer)))).toBe(false);
    const other2 = ok(["pull", "--platform", `linux/${other.architecture}`, `${reg.host}/test/multi`]);
    expect(other2).toContain(`${sha256(bLayer).slice(0, 12)}: Pull complete`);
  });

  test("run of an image that is not here pulls it, as docker run does", async () => {
    const img = imageOf([base], { Cmd: ["echo", "pulled by run"] });
    await pushImage(reg.host, "test/runpull", "latest", img.config, img.layers);
    const r = ctr(["run", "--rm", "--net", "none", `${reg.host}/test/runpull`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("pulled by run\n");
    expect(r.stderr).toStartWith(`Unable to find image '${reg.host}/test/runpull:latest' locally\nlatest: Pulling from test/runpull\n`);
    expect(r.stderr).toContain(`Status: Downloaded newer image for ${reg.host}/test/runpull:latest\n`);
  });

  test("--pull never refuses a missing image; --pull always asks the registry again", () => {
    const never = ctr(["run", "--rm", "--net", "none", "--pull", "never", `${reg.host}/test/notpulled`]);
    expect(never.code).toBe(125);
    expect(never.stderr).toBe(`ctr: No such image: ${reg.host}/test/notpulled:latest (--pull never)\n`);
    const always = ctr(["run", "--rm", "--net", "none", "--pull", "always", `${reg.host}/test/busybox:1.0`]);
    expect(always.code).toBe(0);
    expect(always.stdout).toBe("pulled\n");
    expect(always.stderr).toStartWith("1.0: Pulling from test/busybox\n");
    expect(always.stderr).toContain("Status: Image is up to date");
    expect(ctr(["run", "--rm", "--net", "none", "--pull", "sometimes", "x"]).stderr).toContain("invalid pull option");
  });

  test("a missing tag: one line, exit 1", () => {
    const r = ctr(["pull", `${reg.host}/test/busybox:nope`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ctr: manifest unknown.*not found.*\n$/);
  });
});

describe("login: a registry with basic auth (htpasswd)", () => {
  test("pull needs a login; login checks and saves it (0600); logout forgets it", async () => {
    const dir = join(root, "authreg");
    mkdirSync(dir, { recursive: true });
    const areg = await startRegistry(dir, { alice: "s3cret" });
    try {
      pushAuth.Authorization = `Basic ${btoa("alice:s3cret")}`;
      const img = imageOf([base], { Cmd: ["echo", "private"] });
      await pushImage(areg.host, "private/app", "1", img.config, img.layers);
      delete pushAuth.Authorization;
      const ref = `${areg.host}/private/app:1`;
      const anon = ctr(["pull", ref]);
      expect(anon.code).toBe(1);
      expect(anon.stderr).toBe(`ctr: unauthorized: ${areg.host} wants a login: ctr login ${areg.host}\n`);
      const bad = ctr(["login", "-u", "alice", "--password-stdin", areg.host], { stdin: new Blob(["wrong\n"]) });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("refused the login of alice");
      expect(existsSync(join(data, "auth.json"))).toBe(false);
      expect(ok(["login", "-u", "alice", "-p", "s3cret", areg.host])).toBe("Login Succeeded\n");
      expect(statSync(join(data, "auth.json")).mode & 0o777).toBe(0o600);
      ok(["pull", ref]);
      expect(ok(["run", "--rm", "--net", "none", ref])).toBe("private\n");
      expect(ok(["logout", areg.host])).toBe(`Removing login credentials for ${areg.host}\n`);
      expect(ctr(["pull", ref]).code).toBe(1);
      // on a terminal, as docker login: asked for the username, then the password
      const onTty = Bun.spawnSync(["script", "-qec", `${CTR} login ${areg.host}`, "/dev/null"], {
        env: { ...process.env, CTR_ROOT: root }, stdin: new Blob(["alice\ns3cret\n"]), stdout: "pipe", stderr: "pipe",
      });
      const said = onTty.stdout.toString();
      expect(said).toContain("Username: ");
      expect(said).toContain("Password: ");
      expect(said).toContain("Login Succeeded");
      expect(statSync(join(data, "auth.json")).mode & 0o777).toBe(0o600);
      ok(["pull", ref]);
      // not a terminal: no prompt, a plain error
      const noTty = ctr(["login", areg.host]);
      expect(noTty.code).toBe(1);
      expect(noTty.stderr).toContain("give the username with -u");
    } finally {
      await areg.stop();
    }
  });
});

describe("garbage collection against a pull in flight", () => {
  test("prune waits for a slow pull instead of deleting the blobs it has fetched so far", async () => {
    const layer = gz(writeTar([{ name: "f", type: "file", data: enc.encode("slow") }]));
    const { cfg, manifest } = servedManifest(layer, { Cmd: ["true"] });
    let layerAsked = 0;
    const server: ReturnType<typeof Bun.serve> = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req): Promise<Response> {
        const u = new URL(req.url);
        if (u.pathname === "/v2/slow/manifests/1") return new Response(manifest, { headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" } });
        if (u.pathname === `/v2/slow/blobs/sha256:${sha256(cfg)}`) return new Response(cfg);
        if (u.pathname === `/v2/slow/blobs/sha256:${sha256(layer)}`) {
          layerAsked = Date.now();
          await Bun.sleep(800);
          return new Response(layer);
        }
        return new Response("not found", { status: 404 });
      },
    });
    try {
      const ref = `127.0.0.1:${server.port}/slow:1`;
      const pulling = ctrAsync(["pull", ref]);
      while (!layerAsked) await Bun.sleep(10);
      // the config blob is stored, no image names it yet: prune must not take it
      const pruned = await ctrAsync(["image", "prune", "-f"]);
      expect(pruned.code).toBe(0);
      expect(Date.now() - layerAsked).toBeGreaterThanOrEqual(700);
      const p = await pulling;
      expect(p.stderr).toBe("");
      expect(p.code).toBe(0);
      expect(ok(["image", "inspect", "-f", "{{.Id}}", ref]).trim()).toBe(`sha256:${sha256(cfg)}`);
    } finally {
      server.stop(true);
    }
  });
});

describe("a connection that breaks mid-layer", () => {
  test("the download resumes with a Range request from the bytes already on disk", async () => {
    const big = new Uint8Array(3 << 20);
    for (let o = 0; o < big.length; o += 65536) big.set(crypto.getRandomValues(new Uint8Array(65536)), o);
    const layer = gz(writeTar([{ name: "big", type: "file", data: big }]));
    const { cfg, manifest } = servedManifest(layer, { Cmd: ["true"] });
    const ranges: (string | null)[] = [];
    const server: ReturnType<typeof Bun.serve> = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req): Response {
        const u = new URL(req.url);
        if (u.pathname === "/v2/flaky/manifests/1") return new Response(manifest, { headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" } });
        if (u.pathname === `/v2/flaky/blobs/sha256:${sha256(cfg)}`) return new Response(cfg);
        if (u.pathname === `/v2/flaky/blobs/sha256:${sha256(layer)}`) {
          const range = req.headers.get("range");
          ranges.push(range);
          if (range) {
            const from = Number(/bytes=(\d+)-/.exec(range)![1]);
            return new Response(layer.slice(from), { status: 206, headers: { "Content-Range": `bytes ${from}-${layer.length - 1}/${layer.length}` } });
          }
          // the first answer: a third of the layer, then the stream ends early
          return new Response(new ReadableStream({
            pull(c) {
              c.enqueue(layer.slice(0, Math.floor(layer.length / 3)));
              c.close();
            },
          }));
        }
        return new Response("not found", { status: 404 });
      },
    });
    try {
      const ref = `127.0.0.1:${server.port}/flaky:1`;
      const p = await ctrAsync(["pull", ref]);
      expect(p.stderr).toBe("");
      expect(p.code).toBe(0);
      expect(ranges[0]).toBeNull();
      expect(ranges.length).toBe(2);
      expect(ranges[1]).toMatch(/^bytes=[1-9]\d*-$/);
      expect(p.stdout).toContain(`${sha256(layer).slice(0, 12)}: Retrying from byte ${ranges[1]!.slice(6, -1)}`);
      expect(ok(["image", "inspect", "-f", "{{.Id}}", ref]).trim()).toBe(`sha256:${sha256(cfg)}`);
      expect(readdirSync(join(data, "blobs/sha256")).filter((f) => f.endsWith(".partial"))).toEqual([]);
    } finally {
      server.stop(true);
    }
  });
});

describe("pull from a registry that lies", () => {
  test("a bearer token is fetched; a tampered blob is refused and not stored", async () => {
    const good = gz(writeTar([{ name: "f", type: "file", data: enc.encode("good") }]));
    const bad = gz(writeTar([{ name: "f", type: "file", data: enc.encode("evil") }]));
    const { cfg, manifest } = servedManifest(good);
    const tokens: string[] = [];
    const server: ReturnType<typeof Bun.serve> = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req): Response {
        const u = new URL(req.url);
        if (u.pathname === "/token") {
          tokens.push(u.searchParams.get("scope") ?? "");
          return Response.json({ token: "t0k" });
        }
        if (req.headers.get("authorization") !== "Bearer t0k") {
          return new Response("no", { status: 401, headers: { "WWW-Authenticate": `Bearer realm="http://127.0.0.1:${server.port}/token",service="fake"` } });
        }
        if (u.pathname === "/v2/liar/manifests/1") return new Response(manifest, { headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" } });
        if (u.pathname === `/v2/liar/blobs/sha256:${sha256(cfg)}`) return new Response(cfg);
        if (u.pathname === `/v2/liar/blobs/sha256:${sha256(good)}`) return new Response(bad);
        return new Response("not found", { status: 404 });
      },
    });
    try {
      const r = await (async () => {
        const p = Bun.spawn([join(import.meta.dir, "../../dist/ctr"), "pull", `127.0.0.1:${server.port}/liar:1`], { env: { ...process.env, CTR_ROOT: root }, stdout: "pipe", stderr: "pipe" });
        return { code: await p.exited, stderr: await new Response(p.stderr).text() };
      })();
      expect(tokens).toContain("repository:liar:pull");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^ctr: blob rejected: digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}; not stored\n$/);
      expect(existsSync(join(data, "blobs/sha256", sha256(bad)))).toBe(false);
      expect(existsSync(join(data, "blobs/sha256", sha256(manifest)))).toBe(false);
      expect(readdirSync(join(data, "blobs/sha256")).filter((f) => f.includes("tmp"))).toEqual([]);
      expect(ctr(["image", "inspect", `127.0.0.1:${server.port}/liar:1`]).code).toBe(1);
    } finally {
      server.stop(true);
    }
  });
});

describe("on a terminal", () => {
  test("each layer has one line, updated in place, with a byte bar while it downloads", async () => {
    const layer = gz(writeTar([{ name: "tty", type: "file", data: crypto.getRandomValues(new Uint8Array(60000)) }]));
    const img = imageOf([layer], { Cmd: ["true"] });
    await pushImage(reg.host, "test/tty", "1", img.config, img.layers);
    // script(1) gives ctr a pty for stdout
    const p = Bun.spawnSync(["script", "-qec", `${CTR} pull ${reg.host}/test/tty:1`, "/dev/null"], { env: { ...process.env, CTR_ROOT: root } });
    const out = p.stdout.toString();
    expect(p.exitCode).toBe(0);
    const id = sha256(layer).slice(0, 12);
    expect(out).toContain(`${id}: Pulling fs layer\r\n`);
    // later states overwrite that line: cursor up one, clear it, write, back down
    expect(out).toMatch(new RegExp(`\\x1b\\[1A\\r\\x1b\\[2K${id}: Downloading \\[[=> ]{50}\\] +[0-9.]+k?B/${Number((layer.length / 1000).toPrecision(4))}kB\\x1b\\[1B\\r`));
    expect(out).toContain(`\x1b[1A\r\x1b[2K${id}: Pull complete\x1b[1B\r`);
    expect(out).toContain(`Status: Downloaded newer image for ${reg.host}/test/tty:1\r\n`);
  });
});
