// The seccomp profile format: Docker's seccomp JSON (moby
// profiles/seccomp/types.go), so existing `--security-opt seccomp=file.json`
// profiles load unchanged.

export type SeccompAction =
  | "SCMP_ACT_KILL"
  | "SCMP_ACT_KILL_PROCESS"
  | "SCMP_ACT_KILL_THREAD"
  | "SCMP_ACT_TRAP"
  | "SCMP_ACT_ERRNO"
  | "SCMP_ACT_TRACE"
  | "SCMP_ACT_LOG"
  | "SCMP_ACT_ALLOW"
  | "SCMP_ACT_NOTIFY";

export type SeccompOp =
  | "SCMP_CMP_NE"
  | "SCMP_CMP_LT"
  | "SCMP_CMP_LE"
  | "SCMP_CMP_EQ"
  | "SCMP_CMP_GE"
  | "SCMP_CMP_GT"
  | "SCMP_CMP_MASKED_EQ";

/** A 64-bit value: JSON numbers are exact only up to 2^53, so strings ("0x...") and bigints are accepted too. */
export type SeccompValue = number | bigint | string;

export interface SeccompArg {
  index: number;
  value: SeccompValue;
  /** For SCMP_CMP_MASKED_EQ: value is the mask, valueTwo the expected result. */
  valueTwo?: SeccompValue;
  op: SeccompOp;
}

export interface SeccompFilter {
  caps?: string[];
  arches?: string[];
  /** "major.minor" */
  minKernel?: string;
}

export interface SeccompSyscall {
  /** Legacy single-name form; Docker rejects it together with names. */
  name?: string;
  names?: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  comment?: string;
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

export interface SeccompArchMap {
  architecture: string;
  subArchitectures: string[] | null;
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: SeccompArchMap[];
  /** SECCOMP_FILTER_FLAG_* names; passed through for the executor, not compiled. */
  flags?: string[];
  syscalls?: SeccompSyscall[] | null;
}
