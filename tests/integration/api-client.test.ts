// `ctr -H URI` / CTR_HOST: the ctr CLI as a client of a server running the
// API routes, in the same state root as the local CLI: the same output in
// both modes for images, pull, network and the container verbs; clear
// refusals otherwise.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeTar } from "../../image/tar.ts";
import { type ApiServer, startApiServer } from "../fixtures/api-serve.ts";
import { gz, imageOf, rootfsEntries, sha256 } from "../fixtures/image.ts";
import { pushImage, type Registry, startRegistry } from "../fixtures/registry.ts";
import { CTR, privateBridge, ROOTFS, testRoot, uniqueName } from "./harness.ts";

// many CLI runs per test, on a machine that may be busy
setDefaultTimeout(30000);
const t = testRoot("apicli");
const { root, ctr: ctrRaw } = t;
// 10.90-99, never the api-networks test's (run in the same process)
const Z = 90 + ((process.pid + 5) % 10);
const { CONFIG, clean } = privateBridge(t, "ctrx", `10.${Z}.0.0/24`, `10.${Z}.0.0/16`);
const ctr = (args: string[], env: Record<string, string> = {}) => ctrRaw(args, { env: { CTR_CONFIG: CONFIG, ...env } });
let reg: Registry;
let api: ApiServer;
let H: string;
const base = gz(writeTar(rootfsEntries(ROOTFS, ["data", "host", "proc", "sys", "dev", "mnt", "ro", "www"])));

beforeAll(async () => {
  mkdirSync(join(root, "registry"), { recursive: true });
  reg = await startRegistry(join(root, "registry"));
  const img = imageOf([base], { Cmd: ["true"] });
  await pushImage(reg.host, "test/cli", "1", img.config, img.layers);
  api = await startApiServer(root, join(root, "api.sock"), { CTR_CONFIG: CONFIG });
  H = `unix://${api.sock}`;
});
afterAll(async () => {
  await api?.stop();
  await reg?.stop();
  clean();
});

const ok = (args: string[], env: Record<string, string> = {}) => {
  const r = ctr(args, env);
  if (r.code !== 0) throw new Error(`ctr ${args.join(" ")}: ${r.code} ${r.stderr}`);
  return r.stdout;
};

describe("ctr -H: images and pull through the daemon", () => {
  test("pull prints what the local pull prints; images lists alike in both modes", () => {
    const ref = `${reg.host}/test/cli:1`;
    const remote = ok(["-H", H, "pull", ref]);
    const layer = sha256(base).slice(0, 12);
    const lines = remote.split("\n");
    expect(lines[4]).toMatch(/^Digest: sha256:[0-9a-f]{64}$/);
    expect(lines.toSpliced(4, 1)).toEqual([
      "1: Pulling from test/cli", `${layer}: Pulling fs layer`, `${layer}: Download complete`, `${layer}: Pull complete`,
      `Status: Downloaded newer image for ${ref}`, ref, "",
    ]);
    // again, locally and remotely: the same lines
    expect(ok(["-H", H, "pull", ref])).toBe(ok(["pull", ref]));
    for (const args of [["images"], ["images", "-q"], ["images", "--no-trunc"], ["image", "ls", `${reg.host}/test/cli`]]) {
      expect(ok(["-H", H, ...args])).toBe(ok(args));
    }
    expect(ok(["images"])).toContain(`${reg.host}/test/cli`);
    // CTR_HOST does what -H does
    expect(ok(["images", "-q"], { CTR_HOST: H })).toBe(ok(["images", "-q"]));
  });

  test("image inspect, tag, rmi, load: the local output, through the API; import, save, prune stay local", () => {
    const ref = `${reg.host}/test/cli:1`;
    for (const args of [["image", "inspect", ref], ["image", "inspect", "-f", "{{.Id}} {{.RepoTags}}", ref]]) expect(ok(["-H", H, ...args])).toBe(ok(args));
    const missing = ctr(["-H", H, "image", "inspect", "nothere:1"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(ctr(["image", "inspect", "nothere:1"]).stderr);
    expect(ok(["-H", H, "tag", ref, "cli/copy:2"])).toBe("");
    expect(ok(["images", "cli/copy"])).toContain("cli/copy     2");
    // --format and --filter, locally and through the daemon alike
    expect(ok(["images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=cli/*"])).toBe("cli/copy:2\n");
    expect(ok(["images", "--filter", "dangling=true", "-q"])).toBe("");
    for (const args of [["images", "--format", "{{json .}}"], ["images", "--format", "table {{.ID}}\t{{.Repository}}"]]) expect(ok(["-H", H, ...args])).toBe(ok(args));
    expect(ctr(["images", "--filter", "until=1h"]).stderr).toContain("invalid filter 'until=1h'");
    const tar = join(root, "cli.tar");
    ok(["save", "-o", tar, "cli/copy:2"]);
    expect(ok(["-H", H, "rmi", "cli/copy:2"])).toBe("Untagged: cli/copy:2\n");
    expect(ok(["-H", H, "load", "-i", tar])).toBe("Loaded image: cli/copy:2\n");
    expect(ok(["rmi", "cli/copy:2"])).toBe("Untagged: cli/copy:2\n");
    const busy = ctr(["-H", H, "rmi", "nothere:1"]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toBe(ctr(["rmi", "nothere:1"]).stderr);
    for (const args of [["image", "prune", "-f"], ["image", "save", ref], ["image", "import", tar]]) {
      const r = ctr(["-H", H, ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("is not available against a daemon yet");
    }
  });

  test("a daemon's refusal is one line and exit 1, as locally", () => {
    const r = ctr(["-H", H, "pull", `${reg.host}/test/nothere:1`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ctr: manifest unknown.*not found.*\n$/);
    expect(ctr(["pull", `${reg.host}/test/nothere:1`]).stderr).toBe(r.stderr);
  });
});

describe("ctr -H network", () => {
  test("create, ls, inspect, connect, disconnect, rm: the local output, through the API", () => {
    const net = uniqueName("cn").slice(0, 24);
    const id = ok(["-H", H, "network", "create", "--subnet", `10.${Z}.7.0/24`, "--label", "k=v", net]).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    for (const args of [["network", "ls"], ["network", "ls", "-q", "--no-trunc"], ["network", "inspect", net], ["network", "inspect", "-f", "{{.IPAM}}", net, "bridge"]]) {
      expect(ok(["-H", H, ...args])).toBe(ok(args));
    }
    const c = uniqueName("c");
    expect(ctr(["run", "-d", "--name", c, ROOTFS, "sleep", "100"]).code).toBe(0);
    expect(ok(["-H", H, "network", "connect", net, c])).toBe("");
    expect(ok(["exec", c, "ls", "/sys/class/net"])).toBe("eth0\neth1\nlo\n");
    expect(ok(["-H", H, "network", "inspect", net])).toBe(ok(["network", "inspect", net]));
    expect(ok(["-H", H, "network", "disconnect", net, c])).toBe("");
    expect(ok(["exec", c, "ls", "/sys/class/net"])).toBe("eth0\nlo\n");
    // the daemon's refusal, as the local one
    const refused = ctr(["-H", H, "network", "disconnect", net, c]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(ctr(["network", "disconnect", net, c]).stderr);
    const missing = ctr(["-H", H, "network", "inspect", "nosuchnet"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("Error: No such network: nosuchnet\n");
    expect(ok(["-H", H, "network", "rm", net])).toBe(`${net}\n`);
    const again = ctr(["-H", H, "network", "rm", net]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`Error response from daemon: network ${net} not found\n`);
  });
});

describe("ctr -H: containers through the daemon", () => {
  test("run -d, ps, inspect, logs, stop, start, kill, wait, rm: the local output", () => {
    const name = uniqueName("rc");
    const id = ok(["-H", H, "run", "-d", "--name", name, "--net", "none", "-e", "FROM_CLIENT", ROOTFS, "sh", "-c", "echo out $FROM_CLIENT; echo err >&2; exec sleep 100"], { FROM_CLIENT: "yes" }).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    for (let i = 0; i < 100 && !ok(["logs", name]).includes("out"); i++) Bun.sleepSync(20);
    // (CREATED and STATUS tick between two calls: compared without them)
    const cols = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Ports}}\t{{.Names}}\t{{.State}}";
    for (const args of [["ps", "--format", cols], ["ps", "-a", "--no-trunc", "--format", cols], ["ps", "-q"], ["ps", "--format", "{{.Names}} {{.Labels}}"]]) expect(ok(["-H", H, ...args])).toBe(ok(args));
    for (const args of [["inspect", name], ["inspect", "-f", "{{.State.Pid}} {{.Config.Env}}", name]]) expect(ok(["-H", H, ...args])).toBe(ok(args));
    // -e NAME took its value on the client's side
    expect(ok(["-H", H, "logs", name])).toBe("out yes\n");
    const both = ctr(["-H", H, "logs", name]);
    expect(both.stderr).toBe("err\n");
    // exec: output on both streams, the exit code, -e -u -w; a missing command as locally
    const ex = ctr(["-H", H, "exec", "-e", "V=1", "-u", "1000", "-w", "/tmp", name, "sh", "-c", "echo $V $(id -u) $(pwd); echo e >&2; exit 5"]);
    expect([ex.code, ex.stdout, ex.stderr]).toEqual([5, "1 1000 /tmp\n", "e\n"]);
    const nocmd = ctr(["-H", H, "exec", name, "nosuchcmd"]);
    expect(nocmd.code).toBe(ctr(["exec", name, "nosuchcmd"]).code);
    expect(ok(["-H", H, "exec", "-d", name, "sh", "-c", "echo detached > /dev/shm/d"])).toBe("");
    for (let i = 0; i < 100 && ctr(["exec", name, "cat", "/dev/shm/d"]).stdout !== "detached\n"; i++) Bun.sleepSync(20);
    expect(ok(["exec", name, "cat", "/dev/shm/d"])).toBe("detached\n");
    const execIn = ctrRaw(["-H", H, "exec", "-i", name, "sh", "-c", "cat; exit 4"], { env: { CTR_CONFIG: CONFIG }, stdin: new Blob(["in\n"]) });
    expect([execIn.code, execIn.stdout]).toEqual([4, "in\n"]);
    // top: the same columns; the rows' times may tick between the two calls
    const topOf = (out: string) => out.split("\n").map((l) => l.split(/\s+/).filter((_, i) => i !== 4 && i !== 6).join(" "));
    expect(topOf(ok(["-H", H, "top", name]))).toEqual(topOf(ok(["top", name])));
    expect(ok(["-H", H, "top", name, "-o", "pid,args"])).toBe(ok(["top", name, "-o", "pid,args"]));
    const badPs = ctr(["-H", H, "top", name, "--sort"]);
    expect([badPs.code, badPs.stderr]).toEqual([1, ctr(["top", name, "--sort"]).stderr]);
    expect(ok(["-H", H, "pause", name])).toBe(`${name}\n`);
    expect(ok(["ps", "--format", "{{.Names}} {{.Status}}"])).toContain(`${name} Up`);
    expect(ok(["inspect", "-f", "{{.State.Status}}", name])).toBe("paused\n");
    const twice = ctr(["-H", H, "pause", name]);
    expect([twice.code, twice.stderr]).toEqual([1, ctr(["pause", name]).stderr]);
    expect(ok(["-H", H, "unpause", name])).toBe(`${name}\n`);
    expect(ok(["-H", H, "rename", name, `${name}x`])).toBe("");
    expect(ok(["inspect", "-f", "{{.Name}}", `${name}x`])).toBe(`/${name}x\n`);
    const taken = ctr(["-H", H, "rename", `${name}x`, `${name}x`]);
    expect(taken.code).toBe(1);
    expect(ok(["-H", H, "rename", `${name}x`, name])).toBe("");
    expect(ok(["-H", H, "stop", "-t", "1", name])).toBe(`${name}\n`);
    expect(ok(["-H", H, "wait", name])).toBe(ok(["wait", name]));
    expect(ok(["-H", H, "start", name])).toBe(`${name}\n`);
    expect(ok(["-H", H, "kill", name])).toBe(`${name}\n`);
    expect(ok(["-H", H, "wait", name])).toBe("137\n");
    expect(ok(["-H", H, "rm", name])).toBe(`${name}\n`);
    const gone = ctr(["-H", H, "rm", name]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(ctr(["rm", name]).stderr);
    const missing = ctr(["-H", H, "inspect", name]);
    expect([missing.code, missing.stderr]).toEqual([1, `Error: No such object: ${name}\n`]);
  });

  test("an attached run --rm prints and exits with the container's status; create; bad flags fail on the client's side", () => {
    const before = ok(["ps", "-aq"]);
    const r = ctr(["-H", H, "run", "--rm", "--net", "none", ROOTFS, "sh", "-c", "echo hi; echo oops >&2; exit 3"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([3, "hi\n", "oops\n"]);
    expect(ok(["ps", "-aq"])).toBe(before);
    const name = uniqueName("cr");
    const id = ok(["-H", H, "create", "--name", name, "--net", "none", ROOTFS, "true"]).trim();
    expect(ok(["ps", "-a", "--format", "{{.ID}} {{.State}} {{.Names}}"]).split("\n")).toContain(`${id.slice(0, 12)} created ${name}`);
    expect(ok(["-H", H, "rm", name])).toBe(`${name}\n`);
    const bad = ctr(["-H", H, "run", "--memory", "12q", ROOTFS, "true"]);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toBe(ctr(["run", "--memory", "12q", ROOTFS, "true"]).stderr);
    // -i: our stdin reaches the container, and its end ends the container's
    const cat = ctrRaw(["-H", H, "run", "-i", "--rm", "--net", "none", ROOTFS, "sh", "-c", "cat; echo done"], { env: { CTR_CONFIG: CONFIG }, stdin: new Blob(["through the daemon\n"]) });
    expect([cat.code, cat.stdout]).toEqual([0, "through the daemon\ndone\n"]);
    // -t on a terminal: a pty inside, sized as ours
    const onTty = Bun.spawnSync(["script", "-qec", `stty rows 33 cols 77; ${CTR} -H ${H} run -it --rm --net none ${ROOTFS} sh -c 'tty; stty size'`, "/dev/null"], {
      env: { ...process.env, CTR_ROOT: root, CTR_CONFIG: CONFIG }, stdin: "ignore", stdout: "pipe",
    });
    expect(onTty.stdout.toString()).toMatch(/\/dev\/pts\/0\r?\n33 77/);
    const notTty = ctr(["-H", H, "run", "-it", "--net", "none", ROOTFS, "true"]);
    expect([notTty.code, notTty.stderr]).toEqual([1, "ctr: the input device is not a TTY\n"]);
    expect(ok(["ps", "-aq"])).toBe(before);
  });
});

describe("ctr -H refusals", () => {
  test("a verb the client does not have yet, a bad address, no daemon: one line each", () => {
    const stats = ctr(["-H", H, "stats", "x1"]);
    expect(stats.code).toBe(1);
    expect(stats.stderr).toStartWith(`ctr: ctr stats is not available against a daemon yet (-H ${H}): create, exec, image, images, inspect, kill, load, logs, network, pause, ps, pull, rename, rm, rmi, run, start, stop, tag, top, unpause, wait are\n`);
    const bad = ctr(["-H", "ftp://x", "images"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`ctr: invalid daemon address "ftp://x": use unix:///path/to.sock or tcp://host:port\n`);
    const none = ctr(["-H", `unix://${root}/nothere.sock`, "images"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toStartWith(`ctr: Cannot connect to the ctr daemon at unix://${root}/nothere.sock (`);
  });
});
