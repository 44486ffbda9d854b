// The networks API (api/routes/networks.ts) driven by the stock Docker CLI
// and by fetch: ls, create, inspect, connect/disconnect a container made by
// the ctr CLI in the same state root, rm, and the 4xx refusals. A bridge
// name and subnets of its own (CTR_CONFIG), so no host link is touched.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { withNetlink } from "../../net/netlink/client.ts";
import { listNetworks } from "../../net/store.ts";
import { type ApiServer, startApiServer } from "../fixtures/api-serve.ts";
import { apiFetch, type DockerCli, dockerCli } from "../fixtures/docker-cli.ts";
import { privateBridge, ROOTFS, testRoot, uniqueName } from "./harness.ts";

// many CLI runs per test, on a machine that may be busy
setDefaultTimeout(30000);
const t = testRoot("apinet");
const { root, ctr: ctrRaw } = t;
// 10.90-99: clear of the other test files' subnets (network, nat, checkpoint, vm tests)
const Y = 90 + (process.pid % 10);
const { env, clean } = privateBridge(t, "ctra", `10.${Y}.0.0/24`, `10.${Y}.0.0/16`);
const ctr = (args: string[]) => ctrRaw(args, { env });
let api: ApiServer;
let docker: DockerCli;

beforeAll(async () => {
  api = await startApiServer(root, join(root, "api.sock"), env);
  docker = dockerCli(api.sock);
});
afterAll(async () => {
  docker?.cleanup();
  await api?.stop();
  clean();
});

const ok = (args: string[]) => {
  const r = docker.run(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(" ")}: ${r.code} ${r.stderr}`);
  return r.stdout;
};
const message = async (r: Response) => ((await r.json()) as { message: string }).message;
const post = (path: string, body: unknown) => apiFetch(api.sock, path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "Content-Type": "application/json" } });

describe("docker network through the API", () => {
  const net = uniqueName("apinet");

  test("ls lists the predefined three; create, inspect, and ls again", () => {
    expect(ok(["network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"])).toBe("bridge bridge local\nhost host local\nnone null local\n");
    const id = ok(["network", "create", "--subnet", `10.${Y}.5.0/24`, "--gateway", `10.${Y}.5.1`, "--label", "tier=back", net]).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(ok(["network", "inspect", "--format", "{{.Id}} {{.Driver}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Internal}} {{.Labels.tier}}", net]))
      .toBe(`${id} bridge 10.${Y}.5.0/24 10.${Y}.5.1 false back\n`);
    // made through the API, seen by the CLI, and the other way round
    expect(ctr(["network", "ls"]).stdout).toContain(`${id.slice(0, 12)}   ${net}`);
    expect(ctr(["network", "inspect", "-f", "{{.Id}}", net]).stdout.trim()).toBe(id);
    expect(ok(["network", "ls", "-q", "--no-trunc", "--filter", `name=${net}`])).toBe(`${id}\n`);
    expect(ok(["network", "ls", "--format", "{{.Name}}", "--filter", "label=tier=back"])).toBe(`${net}\n`);
    expect(ok(["network", "ls", "--format", "{{.Name}}", "--filter", "type=custom"])).toBe(`${net}\n`);
    expect(ok(["network", "ls", "--format", "{{.Name}}", "--filter", "dangling=true"])).toBe(`${net}\n`);
    expect(ok(["network", "ls", "--format", "{{.Name}}", "--filter", "dangling=false"])).toBe("bridge\nhost\nnone\n");
    // by id prefix too
    expect(ok(["network", "inspect", "--format", "{{.Name}}", id.slice(0, 12)])).toBe(`${net}\n`);
  });

  test("create refuses: a duplicate (409), bad JSON, unknown fields, no name (400), another driver (404)", async () => {
    const dup = docker.run(["network", "create", net]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain(`network with name ${net} already exists`);
    const r = await post("/networks/create", { Name: net, CheckDuplicate: true });
    expect(r.status).toBe(409);
    expect((await post("/networks/create", "{not json")).status).toBe(400);
    const unk = await post("/networks/create", { Name: "x1", Colour: "red" });
    expect(unk.status).toBe(400);
    expect(await message(unk)).toBe("unknown field in the request: Colour");
    expect((await post("/networks/create", {})).status).toBe(400);
    expect((await post("/networks/create", { Name: "x2", Driver: "overlay" })).status).toBe(404);
    expect((await post("/networks/create", { Name: "bad name!" })).status).toBe(400);
    expect((await post("/networks/create", { Name: "host" })).status).toBe(403);
    expect(listNetworks(root).map((n) => n.name)).not.toContain("x1");
  });

  test("connect and disconnect a container made by the ctr CLI; rm refused while it is on", async () => {
    const c = uniqueName("c");
    const since = (Date.now() / 1000).toFixed(9);
    const run = ctr(["run", "-d", "--name", c, ROOTFS, "sleep", "100"]);
    expect(run.stderr).toBe("");
    const cid = run.stdout.trim();
    ok(["network", "connect", net, c]);
    expect(ctr(["exec", c, "ip", "-4", "addr", "show", "eth1"]).stdout).toMatch(new RegExp(`inet 10\\.${Y}\\.5\\.\\d+/24`));
    const doc = JSON.parse(ok(["network", "inspect", net]))[0];
    expect(Object.keys(doc.Containers)).toEqual([cid]);
    expect(doc.Containers[cid].Name).toBe(c);
    // again: the endpoint exists
    expect((await post(`/networks/${net}/connect`, { Container: c })).status).toBe(409);
    const busy = docker.run(["network", "rm", net]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("has active endpoints");
    expect((await apiFetch(api.sock, `/networks/${net}`, { method: "DELETE" })).status).toBe(403);
    ok(["network", "disconnect", net, c]);
    expect(ctr(["exec", c, "ls", "/sys/class/net"]).stdout).toBe("eth0\nlo\n");
    expect((await post(`/networks/${net}/disconnect`, { Container: c })).status).toBe(404);
    expect((await post(`/networks/${net}/connect`, { Container: "nosuchcontainer" })).status).toBe(404);
    expect((await post(`/networks/${net}/connect`, {})).status).toBe(400);
    expect((await post("/networks/nosuchnet/connect", { Container: c })).status).toBe(404);
    // journalled, as docker events shows them (rm's disconnect from the bridge comes later)
    const ev = ok(["events", "--since", since, "--until", (Date.now() / 1000).toFixed(9), "--filter", "type=network", "--format", "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}"]);
    // the run's own connect to the default bridge first, as Docker's
    expect(ev).toBe(`connect bridge ${cid}\nconnect ${net} ${cid}\ndisconnect ${net} ${cid}\n`);
  });

  test("rm: the network and its bridge go; predefined ones are refused (403), missing ones are 404", async () => {
    const bridge = listNetworks(root).find((n) => n.name === net)!.bridge;
    expect(ok(["network", "rm", net])).toBe(`${net}\n`);
    expect(withNetlink((nl) => nl.link(bridge))).toBeUndefined();
    expect(ok(["network", "ls", "--format", "{{.Name}}"])).toBe("bridge\nhost\nnone\n");
    const pre = await apiFetch(api.sock, "/networks/bridge", { method: "DELETE" });
    expect(pre.status).toBe(403);
    expect(await message(pre)).toBe("bridge is a pre-defined network and cannot be removed");
    expect(docker.run(["network", "rm", "host"]).stderr).toContain("pre-defined network");
    const gone = await apiFetch(api.sock, `/networks/${net}`);
    expect(gone.status).toBe(404);
    expect(await message(gone)).toBe(`network ${net} not found`);
    expect((await apiFetch(api.sock, `/networks/${net}`, { method: "DELETE" })).status).toBe(404);
  });
});
