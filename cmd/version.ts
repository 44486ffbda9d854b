import { kernelFeatures } from "../runtime/features.ts";
import { type Verb, out, parseSimple } from "./_shared.ts";

declare const CTR_VERSION: string, CTR_COMMIT: string, CTR_BUN_VERSION: string;

const HELP = `Usage:  ctr version [--json]

Show the version, the build, and the kernel features ctr detected

Example:
  ctr version --json`;

const version: Verb = async (args) => {
  const { opts } = parseSimple(args, [{ name: "json", help: "Print as JSON" }, { name: "format", short: "f", value: true, help: "Accepted for docker compatibility: 'json'" }], HELP);
  const info = {
    Version: typeof CTR_VERSION === "string" ? CTR_VERSION : "dev",
    GitCommit: typeof CTR_COMMIT === "string" ? CTR_COMMIT : "dev",
    BunVersion: typeof CTR_BUN_VERSION === "string" ? CTR_BUN_VERSION : Bun.version,
    Os: process.platform,
    Arch: process.arch,
    Features: kernelFeatures(),
  };
  if (opts.json || opts.format === "json") return out(JSON.stringify(info, null, 2));
  const f = info.Features;
  const yes = (b: boolean) => (b ? "yes" : "no");
  out(`ctr:
 Version:        ${info.Version}
 Git commit:     ${info.GitCommit}
 Built with:     Bun ${info.BunVersion}
 OS/Arch:        ${info.Os}/${info.Arch}
Kernel:
 Release:        ${f.kernel}
 Cgroup mode:    ${f.cgroupMode}
 User namespaces: ${yes(f.userNamespaces)}
 Overlayfs:      ${yes(f.overlayfs)}
 Seccomp:        ${yes(f.seccomp)}`);
};
export default version;
