// Linux capabilities: the name table, Docker's default set, and the
// --privileged / --cap-add / --cap-drop rules that turn a spec into the one
// bitmask the executor applies (bounding, effective, permitted).
//
// Pure: no I/O. The host's CAP_LAST_CAP (/proc/sys/kernel/cap_last_cap) may be
// passed in by the caller; Docker limits "ALL" to what the running kernel knows.

/** Every capability the kernel headers define, name -> bit number. */
export const CAPABILITIES: Readonly<Record<string, number>> = Object.freeze({
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
});

/** Highest capability number this table knows (CAP_LAST_CAP of the headers). */
export const CAP_LAST_CAP = 40;

/** Docker's default set (moby oci/caps/defaults.go), in Docker's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
]);

const NUMBER_TO_NAME: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, nr] of Object.entries(CAPABILITIES)) names[nr] = name;
  return names;
})();

const ALL = "ALL";

/**
 * Normalises one user-written name the way Docker's
 * NormalizeLegacyCapabilities does: upper-case, add "CAP_" if missing.
 * "ALL" is passed through. Unknown names throw `unknown capability: "CAP_FOO"`.
 */
export function normalizeCapName(raw: string, lastCap = CAP_LAST_CAP): string {
  let name = raw.trim().toUpperCase();
  if (name === ALL) return ALL;
  if (!name.startsWith("CAP_")) name = "CAP_" + name;
  const nr = CAPABILITIES[name];
  if (nr === undefined || nr > lastCap) {
    throw new Error(`unknown capability: ${JSON.stringify(name)}`);
  }
  return name;
}

/** Bit number of a capability, accepting any spelling normalizeCapName accepts. */
export function capNumber(raw: string): number {
  const name = normalizeCapName(raw);
  if (name === ALL) throw new Error(`"ALL" is not a single capability`);
  return CAPABILITIES[name]!;
}

export interface CapOptions {
  privileged?: boolean;
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  /** Start set when neither ALL rule applies; Docker's default set if omitted. */
  base?: readonly string[];
  /** The host kernel's CAP_LAST_CAP; "ALL" and name checks stop there. */
  lastCap?: number;
}

function allMask(lastCap: number): bigint {
  return (1n << BigInt(lastCap + 1)) - 1n;
}

function bit(name: string): bigint {
  return 1n << BigInt(CAPABILITIES[name]!);
}

/**
 * The container's capability set as a bitmask (bit N = capability N).
 *
 * Follows moby's caps.TweakCapabilities:
 * - privileged: every capability (add/drop are still checked for typos, which
 *   Docker skips; a misspelt name in a definition file should not pass silently);
 * - "ALL" in capAdd: every capability except those named in capDrop;
 * - "ALL" in capDrop: only the capabilities named in capAdd;
 * - otherwise: the base set minus capDrop, then plus capAdd. So a name in
 *   both lists ends up present: Docker drops from the base first and appends
 *   the adds afterwards.
 */
export function resolveCaps(opts: CapOptions = {}): bigint {
  const lastCap = opts.lastCap ?? CAP_LAST_CAP;
  // Validate everything first so an unknown name fails even where it would
  // not matter (Docker validates both lists before applying either).
  const drops = (opts.capDrop ?? []).map((c) => normalizeCapName(c, lastCap));
  const adds = (opts.capAdd ?? []).map((c) => normalizeCapName(c, lastCap));
  if (opts.privileged) return allMask(lastCap);

  const dropMask = drops.reduce((m, c) => (c === ALL ? m : m | bit(c)), 0n);
  const addMask = adds.reduce((m, c) => (c === ALL ? m : m | bit(c)), 0n);

  if (adds.includes(ALL)) return allMask(lastCap) & ~dropMask;
  if (drops.includes(ALL)) return addMask;

  let base = 0n;
  for (const raw of opts.base ?? DEFAULT_CAPABILITIES) {
    const c = normalizeCapName(raw, lastCap);
    base |= c === ALL ? allMask(lastCap) : bit(c);
  }
  return (base & ~dropMask) | addMask;
}

/** Names ("CAP_CHOWN", ...) of the bits set in mask, lowest bit first. */
export function capNames(mask: bigint): string[] {
  const names: string[] = [];
  for (let nr = 0; nr < NUMBER_TO_NAME.length; nr++) {
    if ((mask >> BigInt(nr)) & 1n) names.push(NUMBER_TO_NAME[nr]!);
  }
  const unknown = mask >> BigInt(NUMBER_TO_NAME.length);
  if (unknown !== 0n) {
    // Bits past our table come from a newer kernel; show them by number.
    for (let nr = NUMBER_TO_NAME.length; (mask >> BigInt(nr)) !== 0n; nr++) {
      if ((mask >> BigInt(nr)) & 1n) names.push(`CAP_${nr}`);
    }
  }
  return names;
}

/** Mask as the executor's plan text wants it: lower-case hex, no prefix. */
export function capMaskHex(mask: bigint): string {
  return mask.toString(16);
}
