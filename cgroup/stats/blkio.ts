// Bytes a cgroup read and wrote on block devices, summed over devices as
// `docker stats` does: v1 blkio.throttle.io_service_bytes_recursive (counts
// every bio, throttled or not), v2 io.stat rbytes/wbytes.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface BlkioStats {
  read: number;
  write: number;
}

/** "8:0 Read 4096\n8:0 Write 0\n...\nTotal 4096" */
export function parseIoServiceBytes(text: string): BlkioStats {
  const s = { read: 0, write: 0 };
  for (const line of text.split("\n")) {
    const [dev, op, n] = line.trim().split(/\s+/);
    if (!dev || !/^\d+:\d+$/.test(dev) || n === undefined) continue;
    if (op === "Read") s.read += Number(n);
    else if (op === "Write") s.write += Number(n);
  }
  return s;
}

/** "254:0 rbytes=1 wbytes=2 rios=..." per device */
export function parseIoStat(text: string): BlkioStats {
  const s = { read: 0, write: 0 };
  for (const line of text.split("\n")) {
    for (const kv of line.trim().split(/\s+/).slice(1)) {
      const [k, v] = kv.split("=");
      if (k === "rbytes") s.read += Number(v);
      else if (k === "wbytes") s.write += Number(v);
    }
  }
  return s;
}

const V1_FILES = ["blkio.throttle.io_service_bytes_recursive", "blkio.io_service_bytes_recursive", "blkio.bfq.io_service_bytes_recursive"];

export function blkioStats(dir: string, version: 1 | 2): BlkioStats {
  if (version === 2) return parseIoStat(readFileSync(join(dir, "io.stat"), "utf8"));
  const f = V1_FILES.map((n) => join(dir, n)).find((p) => existsSync(p));
  return f ? parseIoServiceBytes(readFileSync(f, "utf8")) : { read: 0, write: 0 };
}
