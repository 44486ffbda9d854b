import { describe, expect, test } from "bun:test";
import { SpecError } from "../../../spec/errors.ts";
import { type ContainerSpec, defaultSpec } from "../../../spec/types.ts";
import { validateSpec } from "../../../spec/validate.ts";

const MiB = 1024 * 1024;

function spec(change: (s: ContainerSpec) => void = () => {}): ContainerSpec {
  const s = defaultSpec();
  s.image = "busybox";
  change(s);
  return s;
}

const fails = (s: ContainerSpec, msg: string) => {
  expect(() => validateSpec(s)).toThrow(SpecError);
  expect(() => validateSpec(s)).toThrow(msg);
};

describe("validateSpec", () => {
  test("a plain spec passes without warnings", () => {
    expect(validateSpec(spec())).toEqual([]);
  });
  test("exactly one of image and rootfs", () => {
    fails(spec((s) => (s.rootfs = "/r")), "both an image and a rootfs");
    fails(spec((s) => delete s.image), "no image or rootfs given");
    expect(validateSpec(spec((s) => { delete s.image; s.rootfs = "/r"; }))).toEqual([]);
  });
  test("memory rules", () => {
    fails(spec((s) => (s.resources.memory = MiB)), "Minimum memory limit allowed is 6MB (got 1MiB)");
    fails(spec((s) => (s.resources = { memory: 64 * MiB, memorySwap: 32 * MiB })), "Minimum memoryswap limit should be larger than memory limit");
    fails(spec((s) => (s.resources = { memorySwap: 32 * MiB })), "You should always set the Memory limit when using Memoryswap limit");
    fails(spec((s) => (s.resources = { memory: 64 * MiB, memoryReservation: 128 * MiB })), "can not be less than memory reservation");
    expect(validateSpec(spec((s) => (s.resources = { memory: 64 * MiB, memorySwap: -1 })))).toEqual([]);
    expect(validateSpec(spec((s) => (s.resources = { memory: 64 * MiB, memorySwap: 64 * MiB })))).toEqual([]);
  });
  test("--cpus with a CFS quota or period", () => {
    fails(spec((s) => (s.resources = { cpus: 1, cpuPeriod: 100000 })), "Nano CPUs and CPU Period cannot both be set");
    fails(spec((s) => (s.resources = { cpus: 1, cpuQuota: 50000 })), "Nano CPUs and CPU Quota cannot both be set");
  });
  test("--restart with --rm", () => {
    fails(spec((s) => { s.restart = { name: "always", maxRetries: 0 }; s.autoRemove = true; }), "Conflicting options: --restart and --rm");
    expect(validateSpec(spec((s) => (s.autoRemove = true)))).toEqual([]);
  });
  test("network mode conflicts", () => {
    const shared = (c: (s: ContainerSpec) => void) => spec((s) => { s.network.mode = "container:db"; c(s); });
    fails(shared((s) => (s.hostname = "x")), "conflicting options: hostname and the network mode");
    fails(shared((s) => (s.network.dns = ["1.1.1.1"])), "conflicting options: dns and the network mode");
    fails(shared((s) => s.network.ports.push({ hostPort: 1, containerPort: 1, protocol: "tcp" })), "port publishing");
    fails(spec((s) => { s.network.mode = "host"; s.network.networks = ["x"]; }), "cannot be combined with other networks");
    fails(spec((s) => (s.network.aliases = ["a"])), "network-scoped alias is supported only for containers in user defined networks");
    fails(spec((s) => (s.network.ip = "10.0.0.2")), "user specified IP address is supported on user defined networks only");
    expect(validateSpec(spec((s) => { s.network.mode = "appnet"; s.network.ip = "10.0.0.2"; s.network.aliases = ["a"]; }))).toEqual([]);
  });
  test("ports with host networking are a warning", () => {
    const w = validateSpec(spec((s) => { s.network.mode = "host"; s.network.ports.push({ hostPort: 80, containerPort: 80, protocol: "tcp" }); }));
    expect(w).toEqual(["Published ports are discarded when using host network mode"]);
  });
  test("hostname with the host UTS namespace; privileged with remapping", () => {
    fails(spec((s) => { s.hostname = "x"; s.namespaces.uts = { mode: "host" }; }), "conflicting options: hostname and the UTS mode");
    fails(spec((s) => { s.security.privileged = true; s.usernsRemap = "default"; }), "privileged mode is incompatible");
  });
  test("duplicate mount points", () => {
    fails(
      spec((s) => {
        s.mounts.push({ type: "tmpfs", target: "/data", readonly: false, options: [] });
        s.mounts.push({ type: "bind", source: "/x", target: "/data/", readonly: false, options: [] });
      }),
      "Duplicate mount point: /data/",
    );
  });
});
