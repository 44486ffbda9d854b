// GET /events through the stock Docker CLI: what the ctr CLI did (containers,
// images, networks), replayed with --since/--until and filtered; live events
// followed until --until; the monitor's own `die` line with the exit code.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeTar } from "../../image/tar.ts";
import { withNetlink } from "../../net/netlink/client.ts";
import { listNetworks } from "../../net/store.ts";
import { type ApiServer, startApiServer } from "../fixtures/api-serve.ts";
import { apiFetch, type DockerCli, dockerCli } from "../fixtures/docker-cli.ts";
import { dockerSave, gz, imageOf } from "../fixtures/image.ts";
import { ROOTFS, testRoot, uniqueName } from "./harness.ts";

// many CLI runs per test, on a machine that may be busy
setDefaultTimeout(30000);
const { root, ctr } = testRoot("apiev");
let api: ApiServer;
let docker: DockerCli;

beforeAll(async () => {
  api = await startApiServer(root, join(root, "api.sock"));
  docker = dockerCli(api.sock);
});
afterAll(async () => {
  docker?.cleanup();
  await api?.stop();
  // the bridge of a network a failed test left
  withNetlink((nl) => {
    for (const n of listNetworks(root)) if (!n.builtin) nl.deleteLink(n.bridge);
  });
});

/** Docker's --since/--until form: unix seconds with nanoseconds. */
const stamp = () => (Date.now() / 1000).toFixed(9);
const ok = (args: string[]) => {
  const r = ctr(args);
  if (r.code !== 0) throw new Error(`ctr ${args.join(" ")}: ${r.code} ${r.stderr}`);
  return r.stdout;
};
const FORMAT = "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}";

describe("docker events over what the ctr CLI did", () => {
  test("a container's life, replayed in order with --since/--until", () => {
    const name = uniqueName("ev");
    const since = stamp();
    const id = ok(["run", "-d", "--name", name, "--net", "none", ROOTFS, "sleep", "100"]).trim();
    ok(["pause", name]);
    ok(["unpause", name]);
    ok(["rename", name, `${name}-2`]);
    ok(["kill", `${name}-2`]);
    ok(["wait", `${name}-2`]);
    ok(["rm", `${name}-2`]);
    const until = stamp();
    const r = docker.run(["events", "--since", since, "--until", until, "--format", FORMAT]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([
      `container create ${name}`, `container start ${name}`, `container pause ${name}`, `container unpause ${name}`,
      // the monitor's die carries the name the container has now, not the one it was created with
      `container rename ${name}-2`, `container kill ${name}-2`, `container die ${name}-2`, `container destroy ${name}-2`, "",
    ].join("\n"));
    // the monitor's line: the exit status, in Docker's attributes; the id as the actor
    const die = docker.run(["events", "--since", since, "--until", until, "--filter", "event=die", "--format", "{{.Actor.ID}} {{.Actor.Attributes.exitCode}} {{.Actor.Attributes.image}}"]);
    expect(die.stdout).toBe(`${id} 137 ${ROOTFS}\n`);
    const kill = docker.run(["events", "--since", since, "--until", until, "--filter", `container=${name}-2`, "--filter", "event=kill", "--format", "{{.Actor.Attributes.signal}}"]);
    expect(kill.stdout).toBe("9\n");
  });

  test("create + start, stop; images loaded, tagged, removed; networks made and removed", () => {
    const name = uniqueName("ev");
    const net = uniqueName("evn").slice(0, 30);
    const since = stamp();
    ok(["create", "--name", name, "--net", "none", ROOTFS, "sleep", "100"]);
    ok(["start", name]);
    ok(["stop", "-t", "1", name]);
    ok(["rm", name]);
    const tar = join(root, "img.tar");
    writeFileSync(tar, dockerSave(imageOf([gz(writeTar([{ name: "f", type: "file", data: new TextEncoder().encode("x") }]))]), ["evimg:1"]));
    ok(["load", "-i", tar]);
    const imageId = ok(["image", "inspect", "-f", "{{.Id}}", "evimg:1"]).trim();
    ok(["tag", "evimg:1", "evimg:2"]);
    ok(["rmi", "evimg:2"]);
    ok(["rmi", "evimg:1"]);
    ok(["network", "create", "--subnet", `10.${90 + ((process.pid + 3) % 10)}.9.0/24`, net]);
    ok(["network", "rm", net]);
    const until = stamp();
    const lines = docker.run(["events", "--since", since, "--until", until, "--format", FORMAT]).stdout.trim().split("\n");
    expect(lines).toEqual([
      `container create ${name}`, `container start ${name}`, `container kill ${name}`, `container kill ${name}`, `container die ${name}`, `container stop ${name}`, `container destroy ${name}`,
      "image load evimg:1", "image tag evimg:2", "image untag evimg:2", "image untag evimg:1", `image delete ${imageId}`,
      `network create ${net}`, `network destroy ${net}`,
    ]);
    // as Docker's stop: the stop signal, then (sleep as pid 1 ignores SIGTERM) SIGKILL after the timeout; die, then stop
    expect(docker.run(["events", "--since", since, "--until", until, "--filter", "event=kill", "--format", "{{.Actor.Attributes.signal}}"]).stdout).toBe("15\n9\n");
    expect(docker.run(["events", "--since", since, "--until", until, "--filter", "type=network", "--format", "{{.Action}}"]).stdout).toBe("create\ndestroy\n");
    expect(docker.run(["events", "--since", since, "--until", until, "--filter", "image=evimg:1", "--format", "{{.Action}}"]).stdout).toBe("load\nuntag\n");
  });

  test("a restart policy: the monitor journals each start and die of the same container", async () => {
    const name = uniqueName("rs");
    const since = stamp();
    ok(["run", "-d", "--name", name, "--restart", "on-failure:2", "--net", "none", ROOTFS, "sh", "-c", "exit 4"]);
    for (let i = 0; i < 200 && ok(["inspect", "-f", "{{.State.Status}}", name]).trim() !== "exited"; i++) await Bun.sleep(25);
    const got = docker.run(["events", "--since", since, "--until", stamp(), "--filter", `container=${name}`, "--format", "{{.Action}} {{.Actor.Attributes.exitCode}}"]);
    expect(got.stdout).toBe("create <no value>\nstart <no value>\ndie 4\nstart <no value>\ndie 4\nstart <no value>\ndie 4\n");
    ok(["rm", name]);
  });

  test("followed live: events of a run that starts after the client, until --until", async () => {
    const name = uniqueName("live");
    const until = ((Date.now() + 2500) / 1000).toFixed(9);
    const following = docker.runAsync(["events", "--until", until, "--filter", "type=container", "--filter", `container=${name}`, "--format", FORMAT]);
    await Bun.sleep(500);
    const r = await (async () => ctr(["run", "--rm", "--name", name, "--net", "none", ROOTFS, "true"]))();
    expect(r.code).toBe(0);
    const got = await following;
    expect(got.code).toBe(0);
    expect(got.stdout).toBe([`container create ${name}`, `container start ${name}`, `container die ${name}`, `container destroy ${name}`, ""].join("\n"));
  });

  test("a follower that goes away ends its stream; the server goes on serving", async () => {
    const ac = new AbortController();
    // since=0: the replay makes the first bytes (Bun's fetch resolves on them), then it follows
    const res = await apiFetch(api.sock, "/events?since=0", { signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    ac.abort();
    const again = await apiFetch(api.sock, `/events?since=0&until=${stamp()}&filters=${encodeURIComponent(JSON.stringify({ type: ["container"], event: ["destroy"] }))}`);
    const lines = (await again.text()).trim().split("\n").map((l) => JSON.parse(l) as { Type: string; Action: string; timeNano: number });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((e) => e.Type === "container" && e.Action === "destroy")).toBe(true);
  });

  test("bad parameters are a 400 with Docker's message body", async () => {
    for (const q of ["since=yesterday", "since=20&until=10", `filters=${encodeURIComponent(JSON.stringify({ colour: { red: true } }))}`]) {
      const res = await apiFetch(api.sock, `/events?${q}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toBeString();
    }
  });
});
