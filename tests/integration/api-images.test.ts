// The images API (api/routes/images.ts) driven by the stock Docker CLI and
// by fetch over the socket: pull with its progress stream from a local
// docker-registry, list, inspect, tag, rmi, load, save, and the 4xx errors.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeTar } from "../../image/tar.ts";
import { type ApiServer, startApiServer } from "../fixtures/api-serve.ts";
import { apiFetch, type DockerCli, dockerCli } from "../fixtures/docker-cli.ts";
import { dockerSave, gz, imageOf, rootfsEntries, servedManifest, sha256 } from "../fixtures/image.ts";
import { pushAuth, pushImage, type Registry, startRegistry } from "../fixtures/registry.ts";
import { ROOTFS, testRoot } from "./harness.ts";

// many CLI runs per test, on a machine that may be busy
setDefaultTimeout(30000);
const { root, ctr } = testRoot("apiimg");
const base = gz(writeTar(rootfsEntries(ROOTFS, ["data", "host", "proc", "sys", "dev", "mnt", "ro", "www"])));
const enc = new TextEncoder();
let reg: Registry;
let api: ApiServer;
let docker: DockerCli;
let repo: string;

beforeAll(async () => {
  mkdirSync(join(root, "registry"), { recursive: true });
  reg = await startRegistry(join(root, "registry"));
  repo = `${reg.host}/test/busybox`;
  const img = imageOf([base], { Cmd: ["echo", "from the api"], Labels: { "com.example.tier": "web" } });
  await pushImage(reg.host, "test/busybox", "latest", img.config, img.layers);
  api = await startApiServer(root, join(root, "api.sock"));
  docker = dockerCli(api.sock);
});
afterAll(async () => {
  docker?.cleanup();
  await api?.stop();
  await reg?.stop();
});

const ok = (args: string[]) => {
  const r = docker.run(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(" ")}: ${r.code} ${r.stderr}`);
  return r.stdout;
};
/** A JSON progress line, as Docker's jsonmessage */
interface Msg {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  error?: string;
  errorDetail?: { message: string };
}
const lines = (text: string): Msg[] => text.trim().split("\n").map((l) => JSON.parse(l) as Msg);

describe("docker pull through the API", () => {
  test("progress as docker prints it, then the image is listed", () => {
    const out = ok(["pull", repo]);
    const layer = sha256(base).slice(0, 12);
    expect(out).toContain("latest: Pulling from test/busybox\n");
    expect(out).toContain(`${layer}: Pulling fs layer\n`);
    expect(out).toContain(`${layer}: Download complete\n`);
    expect(out).toContain(`${layer}: Pull complete\n`);
    expect(out).toMatch(/Digest: sha256:[0-9a-f]{64}\n/);
    expect(out).toContain(`Status: Downloaded newer image for ${repo}:latest\n`);
    expect(ok(["images", "--format", "{{.Repository}}:{{.Tag}}"])).toContain(`${repo}:latest\n`);
    // pulled by the API, seen by the CLI: one store
    expect(ctr(["image", "inspect", "-f", "{{.Id}}", repo]).stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test("the raw stream: Docker's JSON lines, with byte progress per layer", async () => {
    const img = imageOf([gz(writeTar([{ name: "f", type: "file", data: enc.encode("other") }]))], { Cmd: ["true"] });
    await pushImage(reg.host, "test/other", "1", img.config, img.layers);
    const res = await apiFetch(api.sock, `/images/create?fromImage=${encodeURIComponent(`${reg.host}/test/other`)}&tag=1`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const msgs = lines(await res.text());
    const id = sha256(img.layers[0]!).slice(0, 12);
    expect(msgs[0]).toEqual({ status: "Pulling from test/other", id: "1" });
    expect(msgs).toContainEqual({ status: "Pulling fs layer", progressDetail: {}, id });
    const dl = msgs.find((m) => m.status === "Downloading")!;
    expect(dl.id).toBe(id);
    expect(dl.progressDetail?.total).toBe(img.layers[0]!.length);
    expect(dl.progressDetail?.current).toBeGreaterThan(0);
    expect(dl.progress).toMatch(/^\[[=> ]{50}\] /);
    expect(msgs).toContainEqual({ status: "Pull complete", progressDetail: {}, id });
    expect(msgs.at(-2)?.status).toMatch(/^Digest: sha256:[0-9a-f]{64}$/);
    expect(msgs.at(-1)).toEqual({ status: `Status: Downloaded newer image for ${reg.host}/test/other:1` });
  });

  test("a missing image is an HTTP 404 before any stream; the CLI says so and exits 1", async () => {
    const r = docker.run(["pull", `${reg.host}/test/nothere`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error response from daemon: manifest unknown");
    const res = await apiFetch(api.sock, `/images/create?fromImage=${reg.host}/test/nothere&tag=latest`, { method: "POST" });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toContain("not found");
    const bad = await apiFetch(api.sock, "/images/create?fromImage=Bad/UPPER&tag=latest", { method: "POST" });
    expect(bad.status).toBe(400);
    expect((await apiFetch(api.sock, "/images/create", { method: "POST" })).status).toBe(400);
  });

  test("a failure mid-stream (a tampered layer) is an errorDetail line, as Docker's", async () => {
    const layer = gz(writeTar([{ name: "f", type: "file", data: enc.encode("real") }]));
    const { cfg, manifest } = servedManifest(layer, { Cmd: ["true"] });
    const tampered = layer.slice();
    tampered[tampered.length - 1]! ^= 0xff;
    const fake = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        const u = new URL(req.url);
        if (u.pathname === "/v2/bad/manifests/1") return new Response(manifest, { headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" } });
        if (u.pathname === `/v2/bad/blobs/sha256:${sha256(cfg)}`) return new Response(cfg);
        if (u.pathname === `/v2/bad/blobs/sha256:${sha256(layer)}`) return new Response(tampered);
        return new Response("not found", { status: 404 });
      },
    });
    try {
      const res = await apiFetch(api.sock, `/images/create?fromImage=127.0.0.1:${fake.port}/bad&tag=1`, { method: "POST" });
      expect(res.status).toBe(200);
      const msgs = lines(await res.text());
      const last = msgs.at(-1)!;
      expect(last.error).toContain("digest mismatch");
      expect(last.errorDetail).toEqual({ message: last.error! });
      expect(msgs.some((m) => m.status?.startsWith("Status:"))).toBe(false);
      // async: the fake registry answers from this process
      const r = await docker.runAsync(["pull", `127.0.0.1:${fake.port}/bad:1`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("digest mismatch");
      expect(ok(["images", "-q", `127.0.0.1:${fake.port}/bad`])).toBe("");
    } finally {
      fake.stop(true);
    }
  });
});

describe("a registry that wants a login", () => {
  test("the CLI's saved login travels as X-Registry-Auth; without it the pull is refused", async () => {
    const dir = join(root, "authreg");
    mkdirSync(dir, { recursive: true });
    const areg = await startRegistry(dir, { alice: "s3cret" });
    try {
      pushAuth.Authorization = `Basic ${btoa("alice:s3cret")}`;
      const img = imageOf([base], { Cmd: ["true"] });
      await pushImage(areg.host, "private/app", "1", img.config, img.layers);
      delete pushAuth.Authorization;
      const ref = `${areg.host}/private/app:1`;
      const anon = docker.run(["pull", ref]);
      expect(anon.code).toBe(1);
      expect(anon.stderr).toContain(`unauthorized: ${areg.host} wants a login`);
      writeFileSync(join(docker.config, "config.json"), JSON.stringify({ auths: { [areg.host]: { auth: btoa("alice:s3cret") } } }));
      expect(ok(["pull", ref])).toContain(`Status: Downloaded newer image for ${ref}\n`);
      // the daemon kept no login of its own
      expect(ctr(["pull", ref]).stderr).toContain("wants a login");
    } finally {
      writeFileSync(join(docker.config, "config.json"), "{}");
      await areg.stop();
    }
  }, 30000);
});

describe("images, inspect, tag, rmi", () => {
  test("GET /images/json: Docker's summary shape", async () => {
    const list = (await (await apiFetch(api.sock, "/images/json")).json()) as Record<string, unknown>[];
    const mine = list.find((i) => (i.RepoTags as string[]).includes(`${repo}:latest`))!;
    expect(mine.Id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(mine.RepoDigests).toEqual([expect.stringMatching(new RegExp(`^${repo}@sha256:[0-9a-f]{64}$`))]);
    expect(mine.Created).toBe(Date.parse("2026-01-02T03:04:05Z") / 1000);
    expect(mine.Size).toBeGreaterThan(base.length);
    expect(mine.Labels).toEqual({ "com.example.tier": "web" });
    expect(mine.Containers).toBe(0);
    expect(mine.ParentId).toBe("");
  });

  test("filters: label, reference, dangling; an unknown filter is a 400", async () => {
    const names = (args: string[]) => ok(["images", "--format", "{{.Repository}}:{{.Tag}}", ...args]).trim().split("\n").filter(Boolean).sort();
    expect(names(["--filter", "label=com.example.tier=web"])).toEqual([`${repo}:latest`]);
    expect(names(["--filter", "label=com.example.tier=db"])).toEqual([]);
    expect(names(["--filter", `reference=${reg.host}/test/o*`])).toEqual([`${reg.host}/test/other:1`]);
    expect(names(["--filter", "dangling=true"])).toEqual([]);
    // the fixture images were made 2026-01-02T03:04:05Z
    expect(names(["--filter", "until=2026-01-01T00:00:00Z"])).toEqual([]);
    expect(names(["--filter", "until=2026-01-03T00:00:00Z", "--filter", "reference=*/test/busybox"])).toEqual([`${repo}:latest`]);
    expect(names([`${reg.host}/test/busybox`])).toEqual([`${repo}:latest`]);
    const res = await apiFetch(api.sock, `/images/json?filters=${encodeURIComponent(JSON.stringify({ colour: { red: true } }))}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe("invalid filter 'colour'");
    expect((await apiFetch(api.sock, "/images/json?filters=notjson")).status).toBe(400);
  });

  test("inspect by name, short id and full id; a missing one is a 404", async () => {
    const id = ok(["image", "inspect", "--format", "{{.Id}}", repo]).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ok(["image", "inspect", "--format", "{{.Id}} {{.Os}} {{json .Config.Cmd}}", id.slice(7, 19)])).toBe(`${id} linux ["echo","from the api"]\n`);
    const doc = (await (await apiFetch(api.sock, `/images/${repo}:latest/json`)).json()) as Record<string, unknown>;
    expect(doc.Id).toBe(id);
    expect(doc.RepoTags).toEqual([`${repo}:latest`]);
    expect((doc.RootFS as { Layers: string[] }).Layers).toEqual([`sha256:${sha256(Bun.gunzipSync(base as Uint8Array<ArrayBuffer>))}`]);
    const missing = await apiFetch(api.sock, "/images/nothere:1/json");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: "No such image: nothere:1" });
    const r = docker.run(["image", "inspect", "nothere:1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No such image: nothere:1");
  });

  test("tag adds a name (201); rmi of one of several names only untags it", async () => {
    ok(["tag", repo, "mine/app:2"]);
    expect(ctr(["images", "mine/app"]).stdout).toContain("mine/app     2");
    expect(ok(["images", "--format", "{{.Repository}}:{{.Tag}}", "mine/app"])).toBe("mine/app:2\n");
    const res = await apiFetch(api.sock, `/images/${repo}/tag?repo=mine/app&tag=3`, { method: "POST" });
    expect(res.status).toBe(201);
    expect((await apiFetch(api.sock, `/images/${repo}/tag?tag=3`, { method: "POST" })).status).toBe(400);
    expect((await apiFetch(api.sock, `/images/${repo}/tag?repo=Bad/UPPER`, { method: "POST" })).status).toBe(400);
    expect((await apiFetch(api.sock, "/images/nothere/tag?repo=x", { method: "POST" })).status).toBe(404);
    expect(ok(["rmi", "mine/app:2"])).toBe("Untagged: mine/app:2\n");
    const del = await apiFetch(api.sock, "/images/mine/app:3", { method: "DELETE" });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual([{ Untagged: "mine/app:3" }]);
    expect(ok(["images", "-q", "mine/app"])).toBe("");
  });

  test("rmi: 409 while a container uses the image, 404 when missing; then Untagged and Deleted", async () => {
    ok(["tag", repo, "victim:1"]);
    ok(["rmi", repo]); // victim:1 is now its only name
    const c = ctr(["create", "--net", "none", "victim:1"]);
    expect(c.code).toBe(0);
    const cid = c.stdout.trim();
    const busy = await apiFetch(api.sock, "/images/victim:1", { method: "DELETE" });
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as { message: string }).message).toContain(`container ${cid.slice(0, 12)} is using its referenced image`);
    const r = docker.run(["rmi", "victim:1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("conflict: unable to remove repository reference");
    expect(ctr(["rm", "-f", cid]).code).toBe(0);
    const id = ok(["image", "inspect", "-f", "{{.Id}}", "victim:1"]).trim();
    expect(ok(["rmi", "victim:1"])).toBe(`Untagged: victim:1\nDeleted: ${id}\n`);
    const gone = await apiFetch(api.sock, "/images/victim:1", { method: "DELETE" });
    expect(gone.status).toBe(404);
    expect(docker.run(["rmi", "victim:1"]).stderr).toContain("No such image: victim:1");
  });
});

describe("load and save", () => {
  test("docker load -i of a docker save archive; docker save back; garbage is a 400", async () => {
    const img = imageOf([base, gz(writeTar([{ name: "hello", type: "file", data: enc.encode("loaded") }]))], { Cmd: ["cat", "/hello"] });
    const file = join(root, "saved.tar");
    writeFileSync(file, dockerSave(img, ["loaded/app:1"]));
    expect(ok(["load", "-i", file])).toBe("Loaded image: loaded/app:1\n");
    expect(ok(["images", "--format", "{{.Repository}}:{{.Tag}}", "loaded/app"])).toBe("loaded/app:1\n");
    const out = join(root, "back.tar");
    ok(["save", "-o", out, "loaded/app:1"]);
    ok(["rmi", "loaded/app:1"]);
    expect(ok(["load", "-i", out])).toBe("Loaded image: loaded/app:1\n");
    expect(ctr(["run", "--rm", "--net", "none", "loaded/app:1"]).stdout).toBe("loaded");
    const bad = await apiFetch(api.sock, "/images/load", { method: "POST", body: enc.encode("not a tar at all") });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBeString();
    expect((await apiFetch(api.sock, "/images/get?names=nothere:1")).status).toBe(404);
    expect(readFileSync(out).length).toBeGreaterThan(1024);
  });
});
