// Network (issue 9 item 6): TCP throughput container to container over a ctr
// bridge, against the same path built by hand with `ip` (two namespaces, two
// veths into a bridge, the same MTU), with the host's loopback beside it.
// iperf3 runs in each network namespace (nsenter / ip netns exec): what is
// measured is the path, the same binary on both sides. Without iperf3, a
// busybox nc + dd measure. Target: ctr at least 95% of the hand-built path.
import { type Ctx, type Row, have, interleave, sh, tryRun } from "./lib.ts";

const MiB = 1024 * 1024;
type Server = ReturnType<typeof Bun.spawn>;

/** One client run against a server at ip:port from inside the netns `enter` gives; MiB/s received. */
function measure(enter: string[], ip: string, port: number, seconds: number): number {
  if (have("iperf3")) {
    for (let i = 0; ; i++) {
      const p = Bun.spawnSync([...enter, "iperf3", "-c", ip, "-p", String(port), "-t", String(seconds), "-J"], { stdout: "pipe", stderr: "pipe" });
      const j = JSON.parse(p.stdout.toString() || "{}");
      if (p.exitCode === 0 && j.end?.sum_received) return j.end.sum_received.bits_per_second / 8 / MiB;
      // the server may still be starting
      if (i >= 30) throw new Error(`iperf3 -c ${ip}:${port} failed: ${j.error ?? p.stderr.toString().trim()}`);
      Bun.sleepSync(100);
    }
  }
  // busybox: dd of N MiB of zeros through nc into a dd that discards them
  const mib = seconds * 200;
  for (let i = 0; ; i++) {
    const t = performance.now();
    const p = Bun.spawnSync([...enter, "sh", "-c", `dd if=/dev/zero bs=1M count=${mib} 2>/dev/null | busybox nc ${ip} ${port}`], { stdout: "ignore", stderr: "pipe" });
    const s = (performance.now() - t) / 1000;
    if (p.exitCode === 0) return mib / s;
    if (i >= 30) throw new Error(`nc ${ip}:${port} failed: ${p.stderr.toString().trim()}`);
    Bun.sleepSync(100);
  }
}

function server(enter: string[], port: number): Server {
  const argv = have("iperf3") ? ["iperf3", "-s", "-p", String(port)] : ["busybox", "nc", "-ll", "-p", String(port), "-e", "busybox", "dd", "of=/dev/null", "bs=64k"];
  return Bun.spawn([...enter, ...argv], { stdout: "ignore", stderr: "ignore" });
}

const mtuOf = (enter: string[], dev: string) => Number(/mtu (\d+)/.exec(sh([...enter, "ip", "-o", "link", "show", dev]))?.[1] ?? 0);

export function network(ctx: Ctx): Row[] {
  if (!have("ip") || !have("nsenter")) {
    ctx.notes.push("network: skipped, needs ip and nsenter (apt-get install iproute2 util-linux)");
    return [];
  }
  if (!have("iperf3")) ctx.notes.push("network: iperf3 missing (apt-get install iperf3): busybox nc + dd instead");
  const seconds = ctx.quick ? 1 : 3;
  const rounds = ctx.quick ? 1 : 5;
  const id = process.pid % 100000;
  const names = [`net-a-${id}`, `net-b-${id}`];
  const ns = [`ctr-bench-a-${id}`, `ctr-bench-b-${id}`];
  const br = `cbh${id}`;
  const servers: Server[] = [];
  const port = 5201;
  const loPort = 40000 + (id % 20000);
  try {
    // ctr: two containers on its default bridge
    for (const n of names) sh([ctx.ctr, "run", "-d", "--name", n, ctx.rootfs, "sleep", "100000"], ctx.ctrEnv);
    const info = JSON.parse(sh([ctx.ctr, "inspect", ...names], ctx.ctrEnv)) as { State: { Pid: number }; NetworkSettings: { IPAddress: string } }[];
    const enterCtr = info.map((c) => ["nsenter", `--net=/proc/${c.State.Pid}/ns/net`]);
    const mtu = mtuOf(enterCtr[0]!, "eth0");
    const ctrBridgeMtu = mtuOf([], ctx.bridge);

    // by hand: the same veth + bridge path, the same MTU
    sh(["ip", "link", "add", br, "mtu", String(mtu), "type", "bridge"]);
    sh(["ip", "addr", "add", "10.221.0.1/24", "dev", br]);
    sh(["ip", "link", "set", br, "up"]);
    ns.forEach((n, i) => {
      const host = `cbv${i}${id}`;
      sh(["ip", "netns", "add", n]);
      sh(["ip", "link", "add", host, "mtu", String(mtu), "type", "veth", "peer", "name", "eth0", "netns", n]);
      sh(["ip", "link", "set", host, "master", br, "up"]);
      sh(["ip", "-n", n, "addr", "add", `10.221.0.${i + 2}/24`, "dev", "eth0"]);
      sh(["ip", "-n", n, "link", "set", "eth0", "up"]);
      sh(["ip", "-n", n, "link", "set", "lo", "up"]);
    });
    const enterHand = ns.map((n) => ["ip", "netns", "exec", n]);

    servers.push(server(enterCtr[0]!, port), server(enterHand[0]!, port), server([], loPort));
    const c = {
      ctr: () => measure(enterCtr[1]!, info[0]!.NetworkSettings.IPAddress, port, seconds),
      "veth+bridge by hand": () => measure(enterHand[1]!, "10.221.0.2", port, seconds),
      "host loopback": () => measure([], "127.0.0.1", loPort, seconds),
    };
    const s = interleave(c, rounds, 0);
    const loMtu = mtuOf([], "lo");
    const tool = have("iperf3") ? `iperf3 -t ${seconds}` : `busybox nc + dd, ${seconds * 200} MiB`;
    return [{
      name: `TCP container to container (${tool}; MTU ${mtu}, loopback MTU ${loMtu})`, unit: "MiB/s", better: "higher", stats: s,
      data: { mtu, ctrBridgeMtu, loopbackMtu: loMtu, tool, seconds, rounds },
    }];
  } finally {
    for (const p of servers) p.kill();
    tryRun([ctx.ctr, "rm", "-f", ...names], ctx.ctrEnv);
    for (const n of ns) tryRun(["ip", "netns", "del", n]);
    tryRun(["ip", "link", "del", br]);
  }
}
