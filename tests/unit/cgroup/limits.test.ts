// v1 and v2 translations of Docker's resource flags, as plain data: no cgroupfs needed.
import { describe, expect, test } from "bun:test";
import { blkioLimits, blkioToIoWeight, majorMinor } from "../../../cgroup/controllers/blkio.ts";
import { cpuLimits, cpusetLimits, sharesToWeight } from "../../../cgroup/controllers/cpu.ts";
import { KMEM_IGNORED, memoryLimits } from "../../../cgroup/controllers/memory.ts";
import { pidsLimits } from "../../../cgroup/controllers/pids.ts";

const M = 1024 * 1024;
const files = (ls: { file: string; value: string }[]) => Object.fromEntries(ls.map((l) => [l.file, l.value]));
const dev = (p: string) => ({ "/dev/sda": "8:0", "/dev/vda": "254:0" })[p] ?? "0:0";

describe("memory", () => {
  test("v1: limit, reservation, memory+swap defaulting to twice the limit", () => {
    expect(files(memoryLimits({ memory: 32 * M, memoryReservation: 16 * M }, 1))).toEqual({
      "memory.limit_in_bytes": String(32 * M),
      "memory.soft_limit_in_bytes": String(16 * M),
      "memory.memsw.limit_in_bytes": String(64 * M),
    });
    expect(files(memoryLimits({ memory: 32 * M, memorySwap: -1 }, 1))["memory.memsw.limit_in_bytes"]).toBe("-1");
  });
  test("v1: kernel memory is read back, since kernels from 6.1 accept and ignore it", () => {
    const k = memoryLimits({ kernelMemory: 64 * M }, 1).find((l) => l.file === "memory.kmem.limit_in_bytes")!;
    expect(k.value).toBe(String(64 * M));
    expect(k.ignoredMessage).toBe(KMEM_IGNORED);
  });
  test("v2: max, low, and swap.max as memory-swap minus memory", () => {
    expect(files(memoryLimits({ memory: 32 * M, memorySwap: 48 * M, memoryReservation: 8 * M }, 2))).toEqual({
      "memory.max": String(32 * M),
      "memory.low": String(8 * M),
      "memory.swap.max": String(16 * M),
    });
    expect(files(memoryLimits({ memory: 32 * M, memorySwap: -1 }, 2))["memory.swap.max"]).toBe("max");
  });
});

describe("cpu", () => {
  test("--cpus 0.5 is a quota of half the period on both", () => {
    expect(files(cpuLimits({ cpus: 0.5 }, 1))).toEqual({ "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "50000" });
    expect(files(cpuLimits({ cpus: 0.5 }, 2))).toEqual({ "cpu.max": "50000 100000" });
  });
  test("--cpu-quota/--cpu-period as given", () => {
    expect(files(cpuLimits({ cpuQuota: 25000, cpuPeriod: 50000 }, 2))).toEqual({ "cpu.max": "25000 50000" });
  });
  test("shares -> weight by the OCI formula", () => {
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(262144)).toBe(10000);
    expect(files(cpuLimits({ cpuShares: 512 }, 1))).toEqual({ "cpu.shares": "512" });
    expect(files(cpuLimits({ cpuShares: 1024 }, 2))).toEqual({ "cpu.weight": "39" });
  });
  test("cpuset is the same file on both", () => {
    expect(files(cpusetLimits({ cpusetCpus: "0", cpusetMems: "0" }))).toEqual({ "cpuset.cpus": "0", "cpuset.mems": "0" });
  });
});

describe("pids", () => {
  test("a limit, or max", () => {
    expect(files(pidsLimits({ pidsLimit: 20 }))).toEqual({ "pids.max": "20" });
    expect(files(pidsLimits({ pidsLimit: -1 }))).toEqual({ "pids.max": "max" });
    expect(pidsLimits({})).toEqual([]);
  });
});

describe("block I/O", () => {
  const r = { blkioWeight: 300, deviceReadBps: [{ path: "/dev/sda", rate: M }], deviceWriteBps: [{ path: "/dev/vda", rate: 2 * M }] };
  test("v1: blkio.weight where CFQ offers it, else BFQ's; throttles by major:minor", () => {
    expect(blkioLimits(r, 1, (f) => f === "blkio.weight", dev)).toEqual([
      { file: "blkio.weight", value: "300" },
      { file: "blkio.throttle.read_bps_device", value: `8:0 ${M}` },
      { file: "blkio.throttle.write_bps_device", value: `254:0 ${2 * M}` },
    ]);
    expect(blkioLimits({ blkioWeight: 300 }, 1, () => false, dev)).toEqual([{ file: "blkio.bfq.weight", value: "300" }]);
  });
  test("v2: io.bfq.weight on the v1 scale, else io.weight converted; io.max per device", () => {
    expect(blkioLimits(r, 2, (f) => f === "io.bfq.weight", dev)[0]).toEqual({ file: "io.bfq.weight", value: "300" });
    expect(blkioLimits(r, 2, () => false, dev)).toEqual([
      { file: "io.weight", value: String(blkioToIoWeight(300)) },
      { file: "io.max", value: `8:0 rbps=${M}` },
      { file: "io.max", value: `254:0 wbps=${2 * M}` },
    ]);
    expect(blkioLimits({ deviceReadBps: [{ path: "/dev/sda", rate: 0 }] }, 2, () => false, dev)).toEqual([{ file: "io.max", value: "8:0 rbps=max" }]);
  });
  test("weight conversion: 10 -> 1, 1000 -> 10000, 500 -> 4950", () => {
    expect(blkioToIoWeight(10)).toBe(1);
    expect(blkioToIoWeight(1000)).toBe(10000);
    expect(blkioToIoWeight(500)).toBe(4950);
  });
  test("a device that is not a block device names the flag", () => {
    const bad = () => {
      throw new Error("not a block device");
    };
    expect(() => blkioLimits({ deviceWriteBps: [{ path: "/dev/null", rate: 1 }] }, 1, () => false, bad)).toThrow("--device-write-bps /dev/null:1: not a block device");
  });
  test("dev_t split as glibc does (large majors and minors)", () => {
    expect(majorMinor(0x0800)).toBe("8:0");
    expect(majorMinor(0xfe01)).toBe("254:1");
    // major 259 (NVMe partitions), minor 300
    expect(majorMinor((259 << 8) | (300 & 0xff) | ((300 & ~0xff) << 12))).toBe("259:300");
  });
});
