// `ctr -H URI VERB` (or CTR_HOST): the verbs that work against a daemon,
// each the local verb's own code over a backend that calls the API
// (api/client.ts), so the output is the same in both modes. A verb not
// listed here is refused rather than run on this host by surprise.
import { isTerminal as isatty } from "../runtime/sys/libc.ts";
import { ApiClient, type ContainerSummary, DaemonError, type Hijacked } from "../api/client.ts";
import { fullName } from "../image/archive.ts";
import { canonical, parseReference } from "../image/reference.ts";
import { ImageError } from "../image/store.ts";
import { readFileSync, statSync } from "node:fs";
import { table } from "./_view.ts";
import { eachContainer, out, parseSimple, type SimpleFlag, usage, type Verb, write } from "./_shared.ts";

type RemoteVerb = (c: ApiClient) => Promise<Verb>;

async function imageBackend(c: ApiClient) {
  const { localImages } = await import("./image.ts");
  const backend: typeof localImages = {
    local: false,
    list: async () => (await c.images()).map((s) => ({ id: s.Id, created: new Date(s.Created * 1000).toISOString(), size: s.Size, names: s.RepoTags.map(fullName) })),
    inspect: (ref) => c.inspectImage(ref),
    async load(path, bytes) {
      if (!bytes) {
        if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) usage(`load -i ${path}: a directory loads only on this host; give the daemon a tar`);
        try {
          bytes = readFileSync(path);
        } catch {
          throw new ImageError(`open ${path}: no such file or directory`, 1);
        }
      }
      // the daemon's lines back into what was loaded, for the same printing as here
      return (await c.load(bytes)).map((l) => {
        const id = /^Loaded image ID: (.+)$/.exec(l)?.[1];
        if (id) return { id, names: [] };
        return { id: "", names: [fullName(l.replace(/^Loaded image: /, ""))] };
      });
    },
    remove: (ref, force) => c.removeImage(ref, force),
    async tag(source, target) {
      const r = parseReference(target);
      await c.tagImage(source, { repo: `${r.domain}/${r.path}`, tag: r.tag });
    },
  };
  return backend;
}

const images: RemoteVerb = async (c) => (await import("./image.ts")).alias("ls", await imageBackend(c));

const pull: RemoteVerb = async (c) => {
  const { pullVerb } = await import("./pull.ts");
  return pullVerb(async ({ ref, platform, insecure, progress }) => {
    if (insecure) usage("--insecure-registry is the daemon's setting (CTR_INSECURE_REGISTRIES where it runs), not the client's");
    const r = parseReference(ref);
    await c.pull({ name: `${r.domain}/${r.path}`, tag: r.tag, digest: r.digest }, progress ?? (() => {}), platform && `${platform.os}/${platform.architecture}`);
    // the daemon's stream carried the Status line
    return { name: r.tag ? canonical(r) : undefined };
  });
};

const network: RemoteVerb = async (c) => {
  const { networkVerb } = await import("./network.ts");
  return networkVerb({
    list: () => c.networks(),
    find: (ref) => c.inspectNetwork(ref).catch((e) => {
      if ((e as { status?: number }).status === 404) return undefined;
      throw e;
    }),
    create: async (n) => (await c.createNetwork({
      Name: n.name, Driver: "bridge", Internal: n.internal, Options: n.options, Labels: n.labels,
      IPAM: { Config: n.subnet || n.gateway ? [{ Subnet: n.subnet, Gateway: n.gateway }] : [] },
    })).Id,
    remove: (ref) => c.removeNetwork(ref),
    connect: (net, container, aliases, ip) => c.connectNetwork(net, container, aliases, ip),
    disconnect: (net, container) => c.disconnectNetwork(net, container),
  });
};

// --- containers: each verb's own flags and printing, the work done by the daemon ---

/** The PORTS column from the API's port list, through the local formatter */
async function portsText(ports: ContainerSummary["Ports"], running: boolean): Promise<string> {
  if (!running) return "";
  const { formatPorts } = await import("../net/published.ts");
  const bindings = ports.filter((p) => p.PublicPort).map((p) => ({ hostIp: p.IP ?? "0.0.0.0", hostPort: p.PublicPort!, containerPort: p.PrivatePort, protocol: p.Type as "tcp" | "udp" }));
  return formatPorts(bindings, ports.filter((p) => !p.PublicPort).map((p) => `${p.PrivatePort}/${p.Type}`));
}

const ps: RemoteVerb = async (c) => async (args) => {
  const { PS_FLAGS, PS_HELP, printPs } = await import("./ps.ts");
  const { ago } = await import("./_view.ts");
  type PsRow = import("./_view.ts").PsRow;
  const { opts } = parseSimple(args, PS_FLAGS, PS_HELP);
  const list = await c.containers(Boolean(opts.all));
  printPs(await Promise.all(list.map(async (x) => {
    const created = new Date(x.Created * 1000).toISOString();
    const cmd = x.Command;
    const running = ["running", "paused", "restarting"].includes(x.State);
    return {
      id: x.Id,
      row: {
        ID: x.Id.slice(0, 12), Image: x.Image, Command: JSON.stringify(cmd.length > 20 ? `${cmd.slice(0, 19)}…` : cmd),
        CreatedAt: created, RunningFor: `${ago(created)} ago`, Ports: await portsText(x.Ports, running), State: x.State as PsRow["State"], Status: x.Status,
        Names: (x.Names[0] ?? "").replace(/^\//, ""), Labels: Object.entries(x.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(","),
        Pid: 0, running,
      },
    };
  })), opts);
};

const inspect: RemoteVerb = async (c) =>
  (await import("./inspect.ts")).inspectVerb((ref) => c.inspectContainer(ref), (e) => (e as DaemonError).status === 404);

/** Docker's multiplexed stream (8-byte frame headers: stream, 0, 0, 0, length) to our stdout and stderr; raw bytes with a terminal. */
async function demux(from: Response | AsyncIterable<Uint8Array>, tty: boolean): Promise<void> {
  let buf = new Uint8Array(0);
  const chunks = from instanceof Response ? ((from.body ?? []) as AsyncIterable<Uint8Array>) : from;
  for await (const chunk of chunks) {
    if (tty) {
      write(1, chunk);
      continue;
    }
    const joined = new Uint8Array(buf.length + chunk.length);
    joined.set(buf);
    joined.set(chunk, buf.length);
    buf = joined;
    while (buf.length >= 8) {
      const len = new DataView(buf.buffer, buf.byteOffset).getUint32(4);
      if (buf.length < 8 + len) break;
      write(buf[0] === 2 ? 2 : 1, buf.subarray(8, 8 + len));
      buf = buf.subarray(8 + len);
    }
  }
}

const logs: RemoteVerb = async (c) => async (args) => {
  const { LOGS_FLAGS, LOGS_HELP, when } = await import("./logs.ts");
  const { opts, positionals } = parseSimple(args, LOGS_FLAGS, LOGS_HELP);
  if (positionals.length !== 1) usage(`"logs" requires exactly 1 argument.`);
  const tail = opts.tail === undefined || opts.tail === "all" ? undefined : String(opts.tail);
  if (tail !== undefined && !Number.isInteger(Number(tail))) usage(`invalid value for --tail: ${opts.tail}`);
  const secs = (s: string | boolean | undefined) => (typeof s === "string" ? String(when(s) / 1000) : undefined);
  const ref = positionals[0]!;
  const doc = (await c.inspectContainer(ref)) as { Config?: { Tty?: boolean } };
  await demux(await c.logs(ref, { follow: Boolean(opts.follow), tail, since: secs(opts.since), until: secs(opts.until), timestamps: Boolean(opts.timestamps) }), doc.Config?.Tty === true);
};

/** The multi-container verbs: the local one's flags, Docker's output (each name, or its error) */
function each(load: () => Promise<{ flags: SimpleFlag[]; help: string }>, verb: string, act: (c: ApiClient, ref: string, opts: Record<string, string | boolean>) => Promise<unknown>): RemoteVerb {
  return async (c) => async (args) => {
    const { flags, help } = await load();
    const { opts, positionals } = parseSimple(args, flags, help);
    if (positionals.length === 0) usage(`"${verb}" requires at least 1 argument.`);
    return eachContainer(positionals, (ref) => act(c, ref, opts));
  };
}

const stop = each(async () => import("./stop.ts").then((m) => ({ flags: m.STOP_FLAGS, help: m.STOP_HELP })), "stop", (c, ref, o) => {
  const t = o.time === undefined ? undefined : Number(o.time);
  if (t !== undefined && !Number.isFinite(t)) usage(`invalid argument "${o.time}" for "-t, --time" flag`);
  return c.stopContainer(ref, t, typeof o.signal === "string" ? o.signal : undefined);
});
const kill = each(async () => import("./kill.ts").then((m) => ({ flags: m.KILL_FLAGS, help: m.KILL_HELP })), "kill",
  (c, ref, o) => c.killContainer(ref, typeof o.signal === "string" ? o.signal : "SIGKILL"));
const start = each(async () => ({ flags: [], help: (await import("./start.ts")).START_HELP }), "start", (c, ref) => c.startContainer(ref));
const rm = each(async () => import("./rm.ts").then((m) => ({ flags: m.RM_FLAGS, help: m.RM_HELP })), "rm", (c, ref, o) => c.removeContainer(ref, Boolean(o.force)));

const pause = each(async () => ({ flags: [], help: (await import("./pause.ts")).PAUSE_HELP }), "pause", (c, ref) => c.post(`/containers/${encodeURIComponent(ref)}/pause`));
const unpause = each(async () => ({ flags: [], help: (await import("./unpause.ts")).UNPAUSE_HELP }), "unpause", (c, ref) => c.post(`/containers/${encodeURIComponent(ref)}/unpause`));

const rename: RemoteVerb = async (c) => async (args) => {
  const { positionals } = parseSimple(args, [], (await import("./rename.ts")).RENAME_HELP);
  if (positionals.length !== 2) usage(`"rename" requires exactly 2 arguments.`);
  await c.post(`/containers/${encodeURIComponent(positionals[0]!)}/rename`, { name: positionals[1]! });
  out("");
};

const wait: RemoteVerb = async (c) => async (args) => {
  const { positionals } = parseSimple(args, [], (await import("./wait.ts")).WAIT_HELP);
  if (positionals.length === 0) usage(`"wait" requires at least 1 argument.`);
  for (const ref of positionals) out(String(((await (await c.waitContainer(ref)).json()) as { StatusCode: number }).StatusCode));
};

/**
 * run and create through the daemon: the argv goes as it is (ctr's create
 * body), checked here first so a typo fails before any request; `-e NAME`
 * takes its value from this side's environment, as docker's CLI does. A
 * missing image is pulled through the daemon, with its progress shown here.
 * An attached run is attached (stdin too with -i, a terminal with -t) before
 * it starts and returns the container's status.
 */
function runVerb(verb: "run" | "create"): RemoteVerb {
  return async (c) => async (argv) => {
    const { buildRunSpec, parseRunArgv } = await import("../spec/flags.ts");
    const { RUN_HELP } = await import("./run.ts");
    const args = parseRunArgv(argv);
    if (args.help) return out(RUN_HELP(verb, verb === "run" ? "Create and run a new container" : "Create a new container; `ctr start` runs it"));
    const env: Record<string, string> = {};
    for (const u of args.uses) {
      const v = String(u.value);
      if (u.flag.name === "env" && !v.includes("=") && process.env[v] !== undefined) env[v] = process.env[v]!;
    }
    const { spec } = buildRunSpec(args, { env, cwd: process.cwd() });
    if (spec.interactive && spec.tty && !isatty(0) && !spec.detach && verb === "run") throw new DaemonError(0, "the input device is not a TTY");
    const size = spec.tty ? (await import("./_attach.ts")).terminalSize(true) : undefined;
    const create = () => c.createFromArgv(argv, process.cwd(), env, size);
    let id: string;
    try {
      id = (await create()).Id;
    } catch (e) {
      if ((e as DaemonError).status !== 404 || !spec.image || spec.pull === "never") throw e;
      write(2, `Unable to find image '${spec.image}' locally\n`);
      await pullThrough(c, spec.image);
      id = (await create()).Id;
    }
    if (verb === "create") return out(id);
    if (spec.detach) {
      await c.startContainer(id);
      return out(id);
    }
    // attached and waited for before the start, as docker run does: nothing is missed
    const h = await c.hijack(`/containers/${id}/attach?stream=1&stdout=1&stderr=1${spec.interactive ? "&stdin=1" : ""}`, {});
    const exited = c.waitContainer(id, spec.autoRemove ? "removed" : "next-exit");
    await c.startContainer(id);
    await converse(h, { stdin: spec.interactive, tty: spec.tty, resize: (rows, cols) => c.resize("containers", id, rows, cols) });
    return ((await (await exited).json()) as { StatusCode: number }).StatusCode;
  };
}

async function pullThrough(c: ApiClient, image: string): Promise<void> {
  const r = parseReference(image);
  await c.pull({ name: `${r.domain}/${r.path}`, tag: r.tag, digest: r.digest }, (p) => {
    if (p.current === undefined) write(2, `${p.id ? `${p.id}: ` : ""}${p.status}\n`);
  });
}

/** exec through the daemon: exec create, then exec start's hijacked stream both ways, then the exit code. */
const exec: RemoteVerb = async (c) => async (argv) => {
  const { parseExecArgv } = await import("../spec/exec-flags.ts");
  const p = parseExecArgv(argv, process.env);
  if (p.help) return out((await import("./exec.ts")).EXEC_HELP);
  const e = p.exec;
  if (e.interactive && e.tty && !isatty(0) && !e.detach) throw new DaemonError(0, "the input device is not a TTY");
  const id = await c.execCreate(e.container, {
    Cmd: e.command, Env: Object.entries(e.env).map(([k, v]) => `${k}=${v}`), Privileged: e.privileged, AttachStdin: e.interactive, Tty: e.tty,
    ...(e.user ? { User: e.user } : {}), ...(e.workdir ? { WorkingDir: e.workdir } : {}),
  });
  if (e.detach) return c.execStartDetached(id);
  const h = await c.hijack(`/exec/${id}/start`, { Detach: false, Tty: e.tty });
  await converse(h, { stdin: e.interactive, tty: e.tty, resize: (rows, cols) => c.resize("exec", id, rows, cols) });
  return c.execExitCode(id);
};

/**
 * An attached stream both ways: our stdin into it (half-closed at its end),
 * its output to ours (demultiplexed, or raw with a terminal); with a
 * terminal, raw mode while it lasts and the size sent at once and on SIGWINCH.
 */
async function converse(h: Hijacked, o: { stdin: boolean; tty: boolean; resize: (rows: number, cols: number) => Promise<void> }): Promise<void> {
  const { stty, terminalSize } = await import("./_attach.ts");
  const saved = o.tty && isatty(0) ? stty(["-g"]) : undefined;
  if (saved) stty(["raw", "-echo"]);
  const winch = () => {
    const s = terminalSize(true);
    if (s) o.resize(s.rows, s.cols).catch(() => {});
  };
  try {
    if (o.tty) {
      winch();
      process.on("SIGWINCH", winch);
    }
    if (o.stdin) {
      (async () => {
        for await (const chunk of Bun.stdin.stream()) h.write(chunk);
        h.closeWrite();
      })().catch(() => {});
    }
    await demux(h.output, o.tty);
  } finally {
    if (o.tty) process.off("SIGWINCH", winch);
    if (saved) stty([saved]);
  }
}

const top: RemoteVerb = async (c) => async (args) => {
  const { TOP_HELP, usageOf } = await import("./top.ts");
  if (args.includes("--help")) return out(TOP_HELP);
  const [ref, ...ps] = args;
  if (!ref) usage(`"top" requires at least 1 argument.`);
  // checked here first, so a bad option reads as it does locally
  const { psFields } = await import("../runtime/top.ts");
  usageOf(() => psFields(ps));
  const t = await c.top(ref, ps.join(" "));
  out(table(t.Titles, t.Processes));
};

const REMOTE: Record<string, RemoteVerb> = {
  exec,
  pause,
  unpause,
  rename,
  top,
  ps,
  inspect,
  logs,
  stop,
  kill,
  start,
  rm,
  wait,
  run: runVerb("run"),
  create: runVerb("create"),
  images,
  pull,
  network,
  image: async (c) => (await import("./image.ts")).imageVerb(await imageBackend(c)),
  rmi: async (c) => (await import("./image.ts")).alias("rm", await imageBackend(c)),
  tag: async (c) => (await import("./image.ts")).alias("tag", await imageBackend(c)),
  load: async (c) => (await import("./image.ts")).alias("load", await imageBackend(c)),
};

/** The verb as a client of the daemon at `host`. */
export async function remoteVerb(host: string, verb: string): Promise<Verb> {
  const make = REMOTE[verb];
  if (!make) usage(`ctr ${verb} is not available against a daemon yet (-H ${host}): ${Object.keys(REMOTE).sort().join(", ")} are`);
  return make(new ApiClient(host));
}
