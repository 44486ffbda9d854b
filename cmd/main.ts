#!/usr/bin/env bun
// ctr's entry point: global flags, then one verb, each in its own file and
// loaded only when used (start-up time is part of every `ctr run`).
import { readFileSync } from "node:fs";
import { exitNow } from "../runtime/sys/libc.ts";
import { trace } from "../runtime/trace.ts";
import { fail, globalHelp, parseGlobals, VERBS, write } from "./_shared.ts";

async function main(argv: string[]): Promise<number> {
  trace("main");
  // under runc's name, with --runc-compat, or called as runc is (containerd, Podman): runc's command line
  if (runcStyle(argv) || invokedAsRunc()) {
    return (await (await import("./oci.ts")).default(argv)) ?? 0;
  }
  let rest: string[];
  let host: string | undefined;
  try {
    ({ rest, host } = parseGlobals(argv));
  } catch (e) {
    return fail(e, 1);
  }
  let [verb, ...args] = rest;
  if (verb === "--version" || verb === "-v") verb = "version";
  if (!verb || verb === "--help" || verb === "help") {
    write(1, globalHelp());
    return verb ? 0 : 1;
  }
  const entry = VERBS[verb];
  if (!entry) {
    write(2, `ctr: '${verb}' is not a ctr command.\nSee 'ctr --help'\n`);
    return 1;
  }
  // the binary starts with the JIT held back (build.ts): what runs for long gets it back
  if (!SHORT_LIVED.has(verb)) Bun.unsafe.setJITPolicy(1);
  try {
    // -H / CTR_HOST: a client of the daemon (which itself always acts on this host)
    const mod = host && verb !== "daemon" ? { default: await (await import("./remote.ts")).remoteVerb(host, verb) } : await entry.load();
    trace("verb loaded");
    const code = await mod.default(args);
    return typeof code === "number" ? code : 0;
  } catch (e) {
    return fail(e, entry.errorCode);
  }
}

/**
 * Verbs that do their work once and leave: their code stays in the
 * interpreter, where it runs sooner than the JIT could compile it. The others
 * (the daemon, the DNS server and port proxy, logs -f, stats, image import
 * and pull, ...) loop for long and get the normal JIT policy.
 */
const SHORT_LIVED = new Set(["run", "create", "start", "stop", "kill", "rm", "exec", "ps", "inspect", "wait", "pause", "unpause", "rename", "port", "top", "version", "network", "spec", "debug", "check", "images", "rmi", "tag", "oci"]);

/** What only runc's command line has: its global flags (containerd's shim passes --log), its own commands, create --bundle. */
const RUNC_ONLY = new Set(["--runc-compat", "--log", "--log-format", "--systemd-cgroup", "--criu", "--rootless", "--debug", "state", "delete", "features", "list", "resume"]);

function runcStyle(argv: string[]): boolean {
  let i = 0;
  while (argv[i] === "--root" || argv[i]?.startsWith("--root=")) i += argv[i] === "--root" ? 2 : 1; // both have --root
  const a = argv[i]?.split("=")[0] ?? "";
  const b = argv[i + 1]?.split("=")[0];
  return RUNC_ONLY.has(a) || (a === "create" && (b === "--bundle" || b === "-b"));
}

function invokedAsRunc(): boolean {
  try {
    return (readFileSync("/proc/self/cmdline", "utf8").split("\0")[0] ?? "").split("/").pop() === "runc";
  } catch {
    return false;
  }
}

// (kept free of top-level await, which the bundle does not need). Every write is
// synchronous, so the runtime's teardown (~8 ms) can be skipped.
main(process.argv.slice(2)).then((code) => {
  trace("exit");
  exitNow(code);
});
