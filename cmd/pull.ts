// ctr pull NAME[:TAG|@DIGEST]: from any registry v2 server, as docker pull.
import { isTerminal } from "../runtime/sys/libc.ts";
import { familiar } from "../image/reference.ts";
import { type Verb, out, parseSimple, usage } from "./_shared.ts";
import { progressPrinter } from "./_progress.ts";
import type { PullProgress } from "../image/progress.ts";

const HELP = `Usage:  ctr pull [OPTIONS] NAME[:TAG|@DIGEST]

Download an image from a registry

Loopback registries (127.0.0.1, localhost) are spoken to over plain HTTP, as
by Docker; --insecure-registry HOST[:PORT] (or CTR_INSECURE_REGISTRIES) adds others.

Example:
  ctr pull 127.0.0.1:5000/busybox:latest`;

export interface PullRequest {
  ref: string;
  platform?: { os: string; architecture: string };
  insecure?: string[];
  progress?: (p: PullProgress) => void;
}

/** Pulls; returns the name pulled (none for NAME@DIGEST) and the closing status line if the puller left it to us. */
export type Puller = (r: PullRequest) => Promise<{ name?: string; status?: string }>;

const localPull: Puller = async ({ ref, platform, insecure, progress }) => {
  const { pull: pullImage } = await import("../image/registry.ts");
  const r = await pullImage(ref, { platform, insecure, progress });
  const shown = r.name ? familiar(r.name) : ref;
  return { name: r.name, status: `Status: ${r.downloaded ? "Downloaded newer image" : "Image is up to date"} for ${shown}` };
};

/** `ctr pull` with a puller: this host's (the verb) or a daemon's (ctr -H, cmd/remote.ts). */
export const pullVerb = (puller: Puller): Verb => async (args) => {
  const { opts, positionals } = parseSimple(args, [
    { name: "platform", value: true, help: "Set platform if server is multi-platform capable (os/arch)" },
    { name: "insecure-registry", value: true, help: "Talk plain HTTP to this registry host[:port]" },
    { name: "quiet", short: "q", help: "Suppress verbose output" },
  ], HELP);
  if (positionals.length !== 1) usage(`"pull" requires exactly 1 argument.`);
  const ref = positionals[0]!;
  let platform: { os: string; architecture: string } | undefined;
  if (typeof opts.platform === "string") {
    const [os, architecture] = opts.platform.split("/");
    if (!os || !architecture) usage(`--platform ${opts.platform}: give os/arch, e.g. linux/amd64`);
    platform = { os, architecture };
  }
  if (!ref.includes(":") && !ref.includes("@") && !opts.quiet) out("Using default tag: latest");
  const r = await puller({
    ref,
    platform,
    insecure: typeof opts["insecure-registry"] === "string" ? [opts["insecure-registry"]] : undefined,
    progress: opts.quiet ? undefined : progressPrinter(isTerminal(1)),
  });
  if (!opts.quiet && r.status) out(r.status);
  out(r.name ?? ref);
};

export default pullVerb(localPull);
