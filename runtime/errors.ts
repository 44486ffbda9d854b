// Errors the engine reports to the user: one line, and the exit status Docker
// would give (125 engine, 126 cannot execute, 127 not found).
import { errnoName } from "./sys/errno.ts";
import type { Step } from "./plan-wire.ts";

export class EngineError extends Error {
  constructor(
    message: string,
    readonly exitCode = 125,
  ) {
    super(message);
    this.name = "EngineError";
  }
}

const ERRNO_HINT: Record<string, string> = {
  EPERM: " (is ctr running as root?)",
  EACCES: " (permission denied)",
};

/** Turns the executor's (step, errno) into what failed, on what, and why. */
export function stepError(steps: Step[], step: number, errno: number): EngineError {
  const name = errnoName(errno);
  const s = step >= 0 ? steps[step] : undefined;
  const arg = (i: number) => {
    const a = s?.args[i];
    return typeof a === "string" ? a : "";
  };
  if (!s) return new EngineError(`executor: ${step === -2 ? "clone" : "setup"} failed: ${name}`);
  const argv0 = steps.find((x) => x.op === "ARGV")?.args[0];
  switch (s.op) {
    case "EXEC": {
      const file = typeof argv0 === "string" ? argv0 : "";
      if (name === "ENOENT") {
        return new EngineError(
          file.includes("/")
            ? `exec: "${file}": stat ${file}: no such file or directory`
            : `exec: "${file}": executable file not found in $PATH`,
          127,
        );
      }
      if (name === "EACCES" || name === "ENOEXEC" || name === "EISDIR")
        return new EngineError(`exec: "${file}": permission denied`, 126);
      return new EngineError(`exec: "${file}": ${name}`, 126);
    }
    case "CHDIR":
      return new EngineError(`chdir to cwd ("${arg(0)}") set in config: ${name}`, name === "ENOENT" ? 126 : 125);
    case "MOUNT":
      return new EngineError(`mount ${arg(0) || arg(2)} on ${arg(1)}: ${name}${ERRNO_HINT[name] ?? ""}`);
    case "ROOTFS":
      return new EngineError(
        `rootfs ${arg(0)}: ${name}${name === "EACCES" && steps.some((x) => x.op === "UID_MAP") ? " (with --userns-remap every directory above the rootfs must be searchable by others: chmod o+x)" : ""}`,
      );
    case "IDMAP_ROOTFS":
      // found in the v2 VM, whose test rootfs sits on tmpfs under Linux 6.1
      return new EngineError(`idmap_rootfs ${arg(0)}: ${name}${name === "EINVAL" ? " (--userns-remap: the filesystem holding the rootfs cannot be idmapped on this kernel; tmpfs can from Linux 6.3, ext4, xfs and btrfs can)" : ""}`);
    case "CGROUP_JOIN":
      return new EngineError(`join cgroup ${arg(0)}: ${name}`);
    case "HOOK": {
      // the init's HOOK step: errno is HOOK_FAILED + the hook's exit status, or ETIMEDOUT
      const why = errno >= 0x10000 ? `exit status ${errno - 0x10000}` : name === "ETIMEDOUT" ? "timeout" : name;
      const nth = steps.slice(0, step).filter((x) => x.op === "HOOK" && x.args[0] === s.args[0]).length;
      return new EngineError(`error running ${arg(0)} hook #${nth}: ${arg(1)}: ${why}`);
    }
    case "USER":
      return new EngineError(`set user ${arg(0)}:${arg(1)}: ${name}`);
    default:
      return new EngineError(`${s.op.toLowerCase()} ${s.args.filter((a) => typeof a === "string").join(" ")}: ${name}${ERRNO_HINT[name] ?? ""}`.replace(/ +:/, ":"));
  }
}
