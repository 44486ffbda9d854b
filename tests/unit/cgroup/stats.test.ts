// The stats readers' parsing (one per controller) and Docker's arithmetic and
// spelling of sizes, on texts copied from real v1 and v2 kernels.
import { describe, expect, test } from "bun:test";
import { parseIoServiceBytes, parseIoStat } from "../../../cgroup/stats/blkio.ts";
import { parseCpuStatV2, parseProcStat } from "../../../cgroup/stats/cpu.ts";
import { memoryStatsFrom, parseKeyed, parseMemTotal } from "../../../cgroup/stats/memory.ts";
import { parseNetDev } from "../../../cgroup/stats/net.ts";
import { computeStats, type Sample } from "../../../runtime/stats.ts";
import { bytesSize, goG, humanSize, parseShownSize } from "../../../cmd/_units.ts";

const MiB = 1024 * 1024;

describe("cpu", () => {
  test("v2 cpu.stat usage_usec, in ns", () => {
    expect(parseCpuStatV2("usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\n")).toBe(1_500_000);
    expect(parseCpuStatV2("")).toBe(0);
  });
  test("/proc/stat: user..softirq summed in ns, online CPUs counted", () => {
    const t = "cpu  100 0 50 800 10 5 5 0 0 0\ncpu0 50 0 25 400 5 2 3 0 0 0\ncpu1 50 0 25 400 5 3 2 0 0 0\nintr 1 2 3\n";
    expect(parseProcStat(t)).toEqual({ systemNs: 970 * 1e7, onlineCpus: 2 });
  });
});

describe("memory", () => {
  test("v1: usage minus total_inactive_file; an unlimited limit is capped at the host's memory", () => {
    const stat = "cache 100\nrss 200\ninactive_file 50\ntotal_inactive_file 4096\n";
    expect(memoryStatsFrom(10 * MiB, "9223372036854771712\n", stat, 1, 8192 * MiB)).toEqual({ usage: 10 * MiB - 4096, limit: 8192 * MiB });
    expect(memoryStatsFrom(10 * MiB, `${32 * MiB}\n`, stat, 1, 8192 * MiB).limit).toBe(32 * MiB);
  });
  test("v2: memory.current minus inactive_file, max -> host memory", () => {
    expect(memoryStatsFrom(2 * MiB, "max\n", "anon 1000\ninactive_file 1048576\n", 2, 4096 * MiB)).toEqual({ usage: MiB, limit: 4096 * MiB });
  });
  test("inactive cache larger than usage (racy reads) leaves usage alone", () => {
    expect(memoryStatsFrom(100, "max", "inactive_file 200", 2, 1000).usage).toBe(100);
  });
  test("keyed files and MemTotal", () => {
    expect(parseKeyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n").get("oom_kill")).toBe(3);
    expect(parseMemTotal("MemTotal:       24683520 kB\nMemFree: 1 kB\n")).toBe(24683520 * 1024);
  });
});

describe("block I/O", () => {
  test("v1 io_service_bytes: Read and Write summed over devices, Total ignored", () => {
    const t = "254:0 Read 12288\n254:0 Write 21016576\n254:0 Sync 21028864\n254:0 Async 0\n254:0 Discard 0\n254:0 Total 21028864\n8:0 Read 4096\n8:0 Write 0\nTotal 21032960\n";
    expect(parseIoServiceBytes(t)).toEqual({ read: 16384, write: 21016576 });
  });
  test("v2 io.stat rbytes/wbytes", () => {
    const t = "254:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n8:0 rbytes=1 wbytes=1 rios=1 wios=1 dbytes=0 dios=0\n";
    expect(parseIoStat(t)).toEqual({ read: 1001, write: 2001 });
  });
});

describe("net", () => {
  test("/proc/PID/net/dev without lo", () => {
    const t = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:    5000      40    0    0    0     0          0         0      700       9    0    0    0     0       0          0
`;
    expect(parseNetDev(t)).toEqual({ rx: 5000, tx: 700 });
  });
});

describe("Docker's arithmetic", () => {
  const s = (o: Partial<Sample>): Sample => ({
    running: true, cpuNs: 0, systemNs: 0, onlineCpus: 2, memUsage: 0, memLimit: 0, netRx: 0, netTx: 0, blkRead: 0, blkWrite: 0, pids: 1, ...o,
  });
  test("CPU %: half a CPU busy on a 2-CPU host for 1 s is 50%", () => {
    const st = computeStats(s({ cpuNs: 1e9, systemNs: 100e9 }), s({ cpuNs: 1.5e9, systemNs: 102e9 }));
    expect(st.cpuPercent).toBeCloseTo(50, 6);
  });
  test("no previous sample, or a stopped container: 0%", () => {
    expect(computeStats(undefined, s({ cpuNs: 5e9 })).cpuPercent).toBe(0);
    expect(computeStats(s({}), s({ running: false })).cpuPercent).toBe(0);
  });
  test("MEM %", () => {
    expect(computeStats(undefined, s({ memUsage: 16 * MiB, memLimit: 64 * MiB })).memPercent).toBe(25);
    expect(computeStats(undefined, s({})).memPercent).toBe(0);
  });
});

describe("sizes as go-units prints them", () => {
  test("Go's %g", () => {
    expect(goG(1.5, 4)).toBe("1.5");
    expect(goG(1023.9, 4)).toBe("1024");
    expect(goG(999.9, 3)).toBe("1e+03");
    expect(goG(12.345, 3)).toBe("12.3");
    expect(goG(0, 3)).toBe("0");
    expect(goG(0.5, 4)).toBe("0.5");
    expect(goG(100, 3)).toBe("100");
  });
  test("BytesSize (binary, 4 digits) and HumanSize (decimal, 3 digits)", () => {
    expect(bytesSize(0)).toBe("0B");
    expect(bytesSize(164 * 1024)).toBe("164KiB");
    expect(bytesSize(64 * MiB)).toBe("64MiB");
    expect(bytesSize(24683520 * 1024)).toBe("23.54GiB");
    expect(humanSize(0)).toBe("0B");
    expect(humanSize(12288)).toBe("12.3kB");
    expect(humanSize(21016576)).toBe("21MB");
    expect(humanSize(1_500_000_000)).toBe("1.5GB");
  });
  test("and back, for scripts reading the columns", () => {
    expect(parseShownSize("64.3MiB")).toBeCloseTo(64.3 * MiB, 0);
    expect(parseShownSize("12.3kB")).toBe(12300);
    expect(parseShownSize("0B")).toBe(0);
  });
});
