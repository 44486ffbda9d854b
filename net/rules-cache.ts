// ctr's nf_tables batch for a container on one network, from a template. The
// batch net/firewall.ts encodes (the table, its chains, the network's rules
// for its first container, the container's masquerade) is the same for every
// container on a network but for the container's address and id, and
// encoding it runs ~1.5 ms of cold JavaScript on every start. So it is encoded
// once per network, build and kind (first container or not) with a sentinel
// address and id, kept under the state root, and patched in place after.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ipToInt } from "./ipam.ts";
import { networksDir } from "./store.ts";

declare const CTR_COMMIT: string;
const BUILD = typeof CTR_COMMIT === "string" ? CTR_COMMIT : "dev";

/** Never an address of a network (TEST-NET-2's last) nor an id (ids are hex). */
export const SENTINEL_IP = "198.51.100.254";
export const SENTINEL_ID = "z".repeat(64);

export interface Batch {
  bytes: Uint8Array;
  commands: number;
}

const ipBytes = (ip: string) => {
  const n = ipToInt(ip);
  return new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
};

/** Every offset at which needle occurs in hay. */
function find(hay: Uint8Array, needle: Uint8Array): number[] {
  const at: number[] = [];
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    at.push(i);
  }
  return at;
}

/**
 * The batch for (ip, id) from the template named by key, made with build (the
 * sentinels in place of ip and id) when there is none yet. A template whose
 * sentinels are not each found exactly once is not kept (built every time).
 */
export async function rulesFromTemplate(root: string, key: string, ip: string, id: string, build: (ip: string, id: string) => Promise<Batch | undefined>): Promise<Batch | undefined> {
  const file = join(networksDir(root), ".rules", `${key}-${BUILD}.bin`);
  let t: { bytes: Uint8Array; commands: number; ipAt: number; idAt: number } | undefined;
  try {
    const raw = new Uint8Array(readFileSync(file));
    const v = new DataView(raw.buffer, raw.byteOffset);
    t = { commands: v.getUint32(0, true), ipAt: v.getUint32(4, true), idAt: v.getUint32(8, true), bytes: raw.subarray(12) };
  } catch {
    const made = await build(SENTINEL_IP, SENTINEL_ID);
    if (!made) return undefined;
    const ips = find(made.bytes, ipBytes(SENTINEL_IP));
    const ids = find(made.bytes, new TextEncoder().encode(SENTINEL_ID));
    if (ips.length !== 1 || ids.length !== 1) return build(ip, id);
    t = { ...made, ipAt: ips[0]!, idAt: ids[0]! };
    const head = new Uint8Array(12);
    const v = new DataView(head.buffer);
    v.setUint32(0, t.commands, true);
    v.setUint32(4, t.ipAt, true);
    v.setUint32(8, t.idAt, true);
    try {
      mkdirSync(join(networksDir(root), ".rules"), { recursive: true });
      writeFileSync(`${file}.${process.pid}`, Buffer.concat([head, made.bytes]));
      renameSync(`${file}.${process.pid}`, file);
    } catch {}
  }
  const bytes = t.bytes.slice();
  bytes.set(ipBytes(ip), t.ipAt);
  bytes.set(new TextEncoder().encode(id), t.idAt);
  return { bytes, commands: t.commands };
}

/** A removed network's templates (any build's). */
export function forgetTemplates(root: string, netId: string): void {
  const dir = join(networksDir(root), ".rules");
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(`${netId.slice(0, 16)}-`)) rmSync(join(dir, n), { force: true });
}
