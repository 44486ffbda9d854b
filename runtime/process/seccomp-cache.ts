// Compiling Docker's profile costs more than the rest of container start-up
// (~10-20 ms of cold JS). The program depends only on the profile text and the
// capability set, so it is compiled once and kept under the state root.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { capNames } from "./capabilities.ts";

declare const CTR_COMMIT: string;
const BUILD = typeof CTR_COMMIT === "string" ? CTR_COMMIT : "dev";

export async function seccompProgram(which: string, caps: bigint, cacheDir: string): Promise<Uint8Array | null> {
  if (which === "unconfined") return null;
  const source = which === "default" || which === "" ? `default@${BUILD}` : readFileSync(which, "utf8");
  const key = new Bun.CryptoHasher("sha256").update(source).update(caps.toString(16)).digest("hex").slice(0, 32);
  const file = join(cacheDir, `seccomp-${key}.bpf`);
  try {
    return new Uint8Array(readFileSync(file));
  } catch {}
  // only on a cache miss: the compiler and its tables take ~5 ms just to load
  const { buildSeccomp, loadProfile } = await import("./seccomp.ts");
  const profile = loadProfile(which);
  if (!profile) return null;
  const bpf = buildSeccomp(profile, { caps: capNames(caps) });
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(`${file}.${process.pid}`, bpf);
    renameSync(`${file}.${process.pid}`, file);
  } catch {}
  return bpf;
}
