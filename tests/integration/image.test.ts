// Images: import, load (docker save and OCI layouts), save, tag, rmi, prune,
// with test images built from the busybox fixture by ctr's own tar writer.
import { describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeTar } from "../../image/tar.ts";
import { dockerSave, gz, imageOf, ociLayout, rootfsEntries } from "../fixtures/image.ts";
import { CTR, ROOTFS, testRoot } from "./harness.ts";

const { root, ctr } = testRoot("image");
const work = join(root, "work");
mkdirSync(work, { recursive: true });
const data = join(root, "data");
const enc = new TextEncoder();

const base = gz(writeTar(rootfsEntries(ROOTFS, ["data", "host", "proc", "sys", "dev"])));
// a second layer: a file added, one removed by a whiteout, /tmp made opaque
const top = gz(writeTar([
  { name: "etc", type: "dir" },
  { name: "etc/app.conf", type: "file", data: enc.encode("layer2\n") },
  { name: "etc/.wh.group", type: "file" },
  { name: "tmp", type: "dir", mode: 0o1777 },
  { name: "tmp/.wh..wh..opq", type: "file" },
]));
const app = imageOf([base, top], { Cmd: ["cat", "/etc/app.conf"], Env: ["PATH=/bin:/usr/bin", "GREETING=hi"], WorkingDir: "/tmp", Labels: { a: "b" } });

const ok = (args: string[]) => {
  const r = ctr(args);
  if (r.code !== 0) throw new Error(`ctr ${args.join(" ")}: ${r.code} ${r.stderr}`);
  return r.stdout;
};

describe("image store", () => {
  test("import a rootfs tar; images lists it by Docker's short name", () => {
    const tarPath = join(work, "rootfs.tar");
    writeFileSync(tarPath, writeTar(rootfsEntries(ROOTFS, ["data", "host"])));
    const id = ok(["import", tarPath, "busybox"]).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const ls = ok(["images"]);
    expect(ls).toMatch(new RegExp(`^busybox\\s+latest\\s+${id.slice(7, 19)}\\s`, "m"));
    expect(ok(["image", "inspect", "-f", "{{.Id}} {{.Os}}", "busybox"]).trim()).toBe(`${id} linux`);
    expect(ok(["image", "inspect", "-f", "{{.Id}}", "docker.io/library/busybox:latest"]).trim()).toBe(id);
  });

  test("load a docker save archive: layers unpacked for overlay (whiteout, opaque dir)", () => {
    const p = join(work, "app.tar");
    writeFileSync(p, dockerSave(app, ["app:1"]));
    expect(ok(["load", "-i", p]).trim()).toBe("Loaded image: app:1");
    const cfg = JSON.parse(ok(["image", "inspect", "app:1"]))[0];
    expect(cfg.Config.Cmd).toEqual(["cat", "/etc/app.conf"]);
    expect(cfg.RootFS.Layers.length).toBe(2);
    const l2 = join(data, "layers", cfg.RootFS.Layers[1].slice(7));
    expect(lstatSync(join(l2, "etc/group")).isCharacterDevice()).toBe(true);
    expect(readFileSync(join(l2, "etc/app.conf"), "utf8")).toBe("layer2\n");
  });

  test("OCI layout: load -> run -> save -> rmi -> load gives the same image id", () => {
    const dir = join(work, "oci");
    ociLayout(dir, app, "docker.io/library/oci-app:2");
    expect(ok(["image", "load", "-i", dir]).trim()).toBe("Loaded image: oci-app:2");
    const id = ok(["image", "inspect", "-f", "{{.Id}}", "oci-app:2"]).trim();
    expect(ok(["run", "--rm", "--net", "none", "oci-app:2"])).toBe("layer2\n");
    const out = join(work, "saved.tar");
    ok(["save", "-o", out, "oci-app:2"]);
    ok(["rmi", "oci-app:2"]);
    expect(ctr(["image", "inspect", "oci-app:2"]).code).toBe(1);
    expect(ok(["load", "-i", out]).trim()).toBe("Loaded image: oci-app:2");
    expect(ok(["image", "inspect", "-f", "{{.Id}}", "oci-app:2"]).trim()).toBe(id);
  });

  test("save to stdout and load from stdin, as docker save > f and docker load < f", () => {
    const id = ok(["image", "inspect", "-f", "{{.Id}}", "oci-app:2"]).trim();
    const saved = Bun.spawnSync([CTR, "save", "oci-app:2"], { env: { ...process.env, CTR_ROOT: root }, stdout: "pipe" });
    expect(saved.exitCode).toBe(0);
    ok(["rmi", "oci-app:2"]);
    expect(ctr(["load"], { stdin: new Blob([saved.stdout]) }).stdout).toBe("Loaded image: oci-app:2\n");
    expect(ok(["image", "inspect", "-f", "{{.Id}}", "oci-app:2"]).trim()).toBe(id);
    const empty = ctr(["load"], { stdin: new Blob([]) });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe("ctr: requested load from stdin, but stdin is empty\n");
  });

  test("tag adds a name; rmi of one name only untags; by id it needs -f", () => {
    ok(["tag", "app:1", "localhost:5000/app:v1"]);
    const id = ok(["image", "inspect", "-f", "{{.Id}}", "app:1"]).trim();
    expect(ok(["image", "inspect", "-f", "{{.Id}}", "localhost:5000/app:v1"]).trim()).toBe(id);
    const r = ctr(["rmi", id.slice(7, 19)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("must be forced");
    expect(ok(["rmi", "localhost:5000/app:v1"]).trim()).toBe("Untagged: localhost:5000/app:v1");
    expect(ok(["image", "inspect", "-f", "{{.Id}}", "app:1"]).trim()).toBe(id);
  });

  test("prune removes dangling images and their blobs and layers", () => {
    const p = join(work, "dangling.tar");
    writeFileSync(p, writeTar([{ name: "only", type: "file", data: enc.encode("x") }]));
    const id = ok(["import", p]).trim();
    expect(ok(["images"])).toContain("<none>");
    expect(existsSync(join(data, "blobs/sha256", id.slice(7)))).toBe(true);
    const pr = ok(["image", "prune", "-f"]);
    expect(pr).toContain(`deleted: ${id}`);
    expect(ok(["images"])).not.toContain("<none>");
    expect(existsSync(join(data, "blobs/sha256", id.slice(7)))).toBe(false);
    expect(ok(["image", "inspect", "-f", "{{.Id}}", "busybox"])).toMatch(/^sha256:/);
  });

  test("a blob whose digest does not match is refused and not stored", () => {
    const dir = join(work, "tampered");
    const evil = imageOf([gz(writeTar([{ name: "f", type: "file", data: enc.encode("good") }]))]);
    const m = ociLayout(dir, evil, "tampered:1");
    const manifest = JSON.parse(readFileSync(join(dir, "blobs/sha256", m.slice(7)), "utf8"));
    const layer = join(dir, "blobs/sha256", manifest.layers[0].digest.slice(7));
    const bad = gz(writeTar([{ name: "f", type: "file", data: enc.encode("evil") }]));
    writeFileSync(layer, bad);
    manifest.layers[0].size = bad.length; // size agrees; only the digest can tell
    writeFileSync(join(dir, "blobs/sha256", m.slice(7)), JSON.stringify(manifest)); // (manifest digest now wrong too)
    const before = readdirSync(join(data, "blobs/sha256"));
    const r = ctr(["load", "-i", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ctr: blob rejected: digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}; not stored\n$/);
    expect(readdirSync(join(data, "blobs/sha256"))).toEqual(before);
    expect(ctr(["image", "inspect", "tampered:1"]).code).toBe(1);
  });

  test("a hostile layer is rejected in one line; nothing outside it is touched", () => {
    const victim = join(work, "victim");
    writeFileSync(victim, "untouched");
    for (const [i, entries] of [
      [{ name: "../../../../../../tmp/ctr-hostile-x", type: "file" as const, data: enc.encode("pwned") }],
      [{ name: "evil", type: "symlink" as const, linkname: work }, { name: "evil/victim", type: "file" as const, data: enc.encode("pwned") }],
      [{ name: "shadow", type: "hardlink" as const, linkname: victim }],
    ].entries()) {
      const p = join(work, `hostile${i}.tar`);
      writeFileSync(p, dockerSave(imageOf([gz(writeTar(entries))]), [`hostile:${i}`]));
      const r = ctr(["load", "-i", p]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^ctr: layer rejected: .+\n$/);
      expect(ctr(["image", "inspect", `hostile:${i}`]).code).toBe(1);
    }
    expect(readFileSync(victim, "utf8")).toBe("untouched");
    expect(existsSync("/tmp/ctr-hostile-x")).toBe(false);
    expect(readdirSync(join(data, "layers")).filter((d) => d.includes("tmp"))).toEqual([]);
  });
});


describe("run from an image", () => {
  const mounts = () => readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(root) && l.includes("overlay"));

  test("the image config applies: Cmd, Env, WorkingDir, Labels; whiteouts and opaque dirs hide the lower layer", () => {
    expect(ok(["run", "--rm", "--net", "none", "app:1"])).toBe("layer2\n");
    expect(ok(["run", "--rm", "--net", "none", "app:1", "sh", "-c", 'echo $GREETING $PATH; pwd; ls /tmp | wc -l; test -e /etc/group || echo no-group']))
      .toBe("hi /bin:/usr/bin\n/tmp\n0\nno-group\n");
    // flags win over the image
    expect(ok(["run", "--rm", "--net", "none", "-e", "GREETING=yo", "-w", "/", "app:1", "sh", "-c", "echo $GREETING; pwd"])).toBe("yo\n/\n");
    expect(ok(["run", "--rm", "--net", "none", "--entrypoint", "echo", "app:1"])).toBe("\n");
    expect(mounts()).toEqual([]);
  });

  test("User, StopSignal, ExposedPorts and Labels come from the image; flags and TOML win", () => {
    const p = join(work, "cfg.tar");
    writeFileSync(p, dockerSave(imageOf([base], { Cmd: ["sleep", "100"], User: "user", StopSignal: "SIGQUIT", ExposedPorts: { "80/tcp": {} }, Labels: { from: "image", both: "image" } }), ["cfg:1"]));
    ok(["load", "-i", p]);
    expect(ok(["run", "--rm", "--net", "none", "cfg:1", "id", "-u"])).toBe("1000\n");
    expect(ok(["run", "--rm", "--net", "none", "-u", "0", "cfg:1", "id", "-u"])).toBe("0\n");
    const id = ok(["run", "-d", "--net", "none", "-l", "both=flag", "cfg:1"]).trim();
    const c = JSON.parse(ok(["inspect", id]))[0];
    expect(c.Config.StopSignal).toBe("SIGQUIT");
    expect(c.Config.ExposedPorts).toEqual({ "80/tcp": {} });
    expect(c.Config.Labels).toEqual({ from: "image", both: "flag" });
    expect(c.Config.User).toBe("user");
    expect(c.Config.Cmd).toEqual(["sleep", "100"]);
    ok(["rm", "-f", id]);
    const toml = join(work, "cfg.toml");
    writeFileSync(toml, 'image = "cfg:1"\nuser = "0"\nstop_signal = "SIGINT"\ncommand = ["id", "-u"]\n[network]\nmode = "none"\n');
    expect(ok(["run", "--rm", "-f", toml])).toBe("0\n");
  });

  test("two containers from one image do not see each other's writes; rm removes the overlay", () => {
    const a = ok(["run", "-d", "--net", "none", "busybox", "sh", "-c", "echo a > /etc/mine; sleep 100"]).trim();
    const b = ok(["run", "-d", "--net", "none", "busybox", "sh", "-c", "echo b > /etc/mine; sleep 100"]).trim();
    for (let i = 0; i < 100 && ctr(["exec", b, "cat", "/etc/mine"]).code !== 0; i++) Bun.sleepSync(20);
    for (let i = 0; i < 100 && ctr(["exec", a, "cat", "/etc/mine"]).code !== 0; i++) Bun.sleepSync(20);
    expect(ok(["exec", a, "cat", "/etc/mine"])).toBe("a\n");
    expect(ok(["exec", b, "cat", "/etc/mine"])).toBe("b\n");
    expect(ok(["inspect", "-f", "{{.Image}} {{.Config.Image}}", a]).trim()).toBe(`${ok(["image", "inspect", "-f", "{{.Id}}", "busybox"]).trim()} busybox`);
    // the image's layers are untouched
    const layer = JSON.parse(ok(["image", "inspect", "busybox"]))[0].RootFS.Layers[0].slice(7);
    expect(existsSync(join(data, "layers", layer, "etc/mine"))).toBe(false);
    expect(mounts().length).toBe(2);
    const rmi = ctr(["rmi", "busybox"]);
    expect(rmi.code).toBe(1);
    expect(rmi.stderr).toMatch(new RegExp(`container (${a.slice(0, 12)}|${b.slice(0, 12)}) is using its referenced image`));
    ok(["rm", "-f", a, b]);
    expect(mounts()).toEqual([]);
    expect(existsSync(join(root, "containers", a))).toBe(false);
  });

  test("without overlayfs (CTR_ROOTFS=copy): a copy of the layers per container, the same view", () => {
    const env = { CTR_ROOTFS: "copy" };
    const run = (args: string[]) => ctr(["run", "--rm", "--net", "none", ...args], { env });
    const r = run(["app:1", "sh", "-c", "cat /etc/app.conf; ls /tmp | wc -l; test -e /etc/group || echo no-group; echo x > /etc/mine; cat /etc/mine"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("layer2\n0\nno-group\nx\n");
    // the layers are untouched and the next container starts clean
    expect(run(["app:1", "sh", "-c", "test -e /etc/mine && echo leaked || echo clean"]).stdout).toBe("clean\n");
    expect(readdirSync(join(root, "containers")).filter((d) => !d.startsWith("."))).toEqual([]);
    expect(mounts()).toEqual([]);
  });

  test("--userns-remap: the image's layers as a copy (overlayfs refuses an idmapped mount)", () => {
    const r = ctr(["run", "--rm", "--net", "none", "--userns-remap", "default", "app:1", "sh", "-c", "cat /proc/self/uid_map; cat /etc/app.conf; echo x > /tmp/f && cat /tmp/f"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^\s+0\s+\d+\s+65536\nlayer2\nx\n$/);
    expect(mounts()).toEqual([]);
  });

  test("a missing image that cannot be pulled: Docker's line, one error, exit 125, nothing left", () => {
    // port 9 on loopback: nothing listens, the pull fails at once
    const r = ctr(["run", "--rm", "--net", "none", "127.0.0.1:9/nosuchimage"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^Unable to find image '127.0.0.1:9\/nosuchimage:latest' locally\n.*\nctr: pulling 127.0.0.1:9\/nosuchimage:latest: .+\n$/);
    expect(ok(["ps", "-aq"])).toBe("");
    expect(readdirSync(join(root, "containers")).filter((d) => !d.startsWith("."))).toEqual([]);
    expect(mounts()).toEqual([]);
  });

  test("a failing start (command not found: 127) unmounts the overlay", () => {
    const r = ctr(["run", "--rm", "--net", "none", "busybox", "/no/such/cmd"]);
    expect(r.code).toBe(127);
    expect(ok(["ps", "-aq"])).toBe("");
    expect(mounts()).toEqual([]);
  });
});
