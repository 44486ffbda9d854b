import { rmSync } from "node:fs";
import { clearStaleSocket, DEFAULT_HOST, HostError, isLoopback, parseHost, secureSocket, tlsOptions } from "../api/hosts.ts";
import { setApiLog } from "../api/log.ts";
import { ROUTES } from "../api/routes/index.ts";
import { VERSION } from "../api/routes/system.ts";
import { DEFAULT_SERVER_OPTIONS, listen, type Listener } from "../api/server.ts";
import { last, parseNamed, type Verb, write } from "./_shared.ts";
import { debug, warn } from "./_log.ts";

const HELP = `Usage:  ctr daemon [OPTIONS]

Serve the Docker Engine API (a subset: containers, exec, images, networks,
events, system) so the docker CLI and SDKs can drive ctr. Containers do not
depend on the daemon: stop or kill it, they keep running; start it again and
it serves them.

Options:
  -H, --host list          Where to listen, repeatable (default ${DEFAULT_HOST});
                           unix:///PATH or tcp://HOST:PORT
      --insecure-tcp       Allow plain TCP on addresses other than loopback
      --tlsverify          TCP with TLS, clients must present a certificate signed by --tlscacert
      --tlscacert string   CA that client certificates must chain to
      --tlscert string     Server certificate
      --tlskey string      Server key

Examples:
  ctr daemon
  ctr daemon -H unix:///run/ctr/ctr.sock -H tcp://127.0.0.1:2375
  ctr daemon -H tcp://0.0.0.0:2376 --tlsverify --tlscacert ca.pem --tlscert server.pem --tlskey server-key.pem`;

const daemon: Verb = async (args) => {
  const { v, b, pos } = parseNamed(args, ["-H", "--host", "--tlscacert", "--tlscert", "--tlskey"], ["--insecure-tcp", "--tlsverify"], HELP);
  if (pos.length) throw new HostError(`ctr daemon takes no arguments (got ${pos[0]})`);
  const hosts = [...(v["-H"] ?? []), ...(v["--host"] ?? [])].map(parseHost);
  if (!hosts.length) hosts.push(parseHost(DEFAULT_HOST));
  const tlsFiles = { ca: last(v, "--tlscacert"), cert: last(v, "--tlscert"), key: last(v, "--tlskey") };
  const verify = b.has("--tlsverify");
  if (!verify && (tlsFiles.ca || tlsFiles.cert || tlsFiles.key)) throw new HostError("--tlscacert, --tlscert and --tlskey take effect only with --tlsverify");
  if (verify && !(tlsFiles.ca && tlsFiles.cert && tlsFiles.key)) throw new HostError("--tlsverify needs --tlscacert, --tlscert and --tlskey");
  const tls = verify ? tlsOptions(tlsFiles as { ca: string; cert: string; key: string }) : undefined;
  if (b.has("--insecure-tcp")) warn("--insecure-tcp: the API gives root on this host to anyone who can reach its TCP address; use --tlsverify");
  // every refusal before anything listens: a daemon half up is worse than none
  for (const h of hosts) {
    if (h.kind === "tcp" && !tls && !isLoopback(h.hostname) && !b.has("--insecure-tcp")) {
      throw new HostError(`tcp://${h.hostname}:${h.port}: plain TCP is only served on loopback; use --tlsverify (or --insecure-tcp to accept the risk)`);
    }
  }
  for (const h of hosts) if (h.kind === "unix") await clearStaleSocket(h.path);

  setApiLog((m) => warn(m));
  const opts = {
    ...DEFAULT_SERVER_OPTIONS,
    routes: ROUTES,
    serverHeader: `ctr/${VERSION} (linux)`,
    log: (m: string) => warn(m),
  };
  const envTimeout = Number(process.env.CTR_DAEMON_HEADER_TIMEOUT_MS);
  if (envTimeout > 0) opts.headerTimeoutMs = envTimeout;
  const listeners: { l: Listener; unix?: string }[] = [];
  const closeAll = () => {
    for (const { l, unix } of listeners) {
      l.stop(true);
      if (unix) rmSync(unix, { force: true });
    }
  };
  try {
    for (const h of hosts) {
      if (h.kind === "unix") {
        const { mkdirSync } = await import("node:fs");
        mkdirSync(h.path.slice(0, h.path.lastIndexOf("/")) || "/", { recursive: true });
        const l = listen({ unix: h.path }, opts);
        listeners.push({ l, unix: h.path });
        secureSocket(h.path);
      } else {
        listeners.push({ l: listen({ hostname: h.hostname, port: h.port, ...(tls ? { tls } : {}) }, opts) });
      }
      debug(`listening on ${h.kind === "unix" ? `unix://${h.path}` : `tcp://${h.hostname}:${h.port}${tls ? " (TLS)" : ""}`}`);
    }
  } catch (e) {
    closeAll();
    const err = e as NodeJS.ErrnoException;
    throw new HostError(`listening: ${err.code ?? ""} ${err.message}`.trim());
  }
  write(2, `ctr daemon ${VERSION}: API ${hosts.map((h) => (h.kind === "unix" ? `unix://${h.path}` : `tcp://${h.hostname}:${h.port}`)).join(", ")}\n`);
  await new Promise<void>((res) => {
    for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => res());
  });
  // containers are not ours to stop: they keep running without the daemon
  closeAll();
  return 0;
};
export default daemon;
