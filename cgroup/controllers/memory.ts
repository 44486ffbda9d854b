// memory limits: v1 memory.limit_in_bytes & co, v2 memory.max & co.
import type { ResourceSpec } from "../../spec/types.ts";
import { type Limit, put } from "./write.ts";

export const KMEM_IGNORED =
  "--kernel-memory: this kernel ignores memory.kmem.limit_in_bytes (kernel memory limits are gone since Linux 6.1); --memory counts kernel memory, use it instead";

export function memoryLimits(r: ResourceSpec, version: 1 | 2): Limit[] {
  const out: Limit[] = [];
  if (version === 1) {
    if (r.memory !== undefined) out.push(put("memory.limit_in_bytes", r.memory));
    if (r.memoryReservation !== undefined) out.push(put("memory.soft_limit_in_bytes", r.memoryReservation));
    // swap: v1 counts memory+swap together; only present when swap accounting is on
    if (r.memorySwap !== undefined) out.push({ ...put("memory.memsw.limit_in_bytes", r.memorySwap), optional: true });
    else if (r.memory !== undefined) out.push({ ...put("memory.memsw.limit_in_bytes", r.memory * 2), optional: true });
    if (r.kernelMemory !== undefined) out.push({ ...put("memory.kmem.limit_in_bytes", r.kernelMemory), ignoredMessage: KMEM_IGNORED });
  } else {
    if (r.memory !== undefined) out.push(put("memory.max", r.memory));
    if (r.memoryReservation !== undefined) out.push(put("memory.low", r.memoryReservation));
    // v2 limits swap alone: Docker's memory-swap is memory+swap
    if (r.memory !== undefined) {
      const swap = r.memorySwap === undefined ? r.memory : r.memorySwap === -1 ? -1 : r.memorySwap - r.memory;
      out.push({ ...put("memory.swap.max", swap === -1 ? "max" : swap), optional: true });
    }
  }
  return out;
}
