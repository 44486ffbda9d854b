import { describe, expect, test } from "bun:test";
import { dirname, join, resolve } from "node:path";
import { formatFlagHelp } from "../../../spec/argv.ts";
import { SpecError } from "../../../spec/errors.ts";
import { EXEC_FLAGS, parseExecArgv } from "../../../spec/exec-flags.ts";
import { applyRunArgv, buildRunSpec, parseRunArgv, RUN_FLAGS } from "../../../spec/flags.ts";
import { parseSpecToml } from "../../../spec/toml.ts";
import { type ContainerSpec, defaultSpec } from "../../../spec/types.ts";

const ROOT = resolve(dirname(import.meta.path), "../../..");
const MiB = 1024 * 1024;

/** argv -> spec over the defaults, with a fixed environment and cwd. */
function run(argv: string[], base: ContainerSpec = defaultSpec()) {
  const args = parseRunArgv(argv);
  return { args, spec: applyRunArgv(base, args, { env: { HOME: "/home/me", TERM: "xterm" }, cwd: "/work" }) };
}

function specError(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw e;
  }
  throw new Error("expected a SpecError");
}

describe("argument syntax", () => {
  test("combined short booleans -it and -dit", () => {
    const a = run(["-it", "busybox"]).spec;
    expect([a.interactive, a.tty, a.detach]).toEqual([true, true, false]);
    const b = run(["-dit", "busybox"]).spec;
    expect([b.interactive, b.tty, b.detach]).toEqual([true, true, true]);
  });
  test("--name=x and --name x", () => {
    expect(run(["--name=web", "busybox"]).spec.name).toBe("web");
    expect(run(["--name", "web2", "busybox"]).spec.name).toBe("web2");
  });
  test("short flag values: -e A=1, -eA=1, -e=A=1, -p8080:80", () => {
    const { spec } = run(["-e", "A=1", "-eB=2", "-e=C=3", "-p8080:80", "busybox"]);
    expect(spec.env).toEqual({ A: "1", B: "2", C: "3" });
    expect(spec.network.ports).toEqual([{ hostPort: 8080, containerPort: 80, protocol: "tcp" }]);
  });
  test("a bool cluster ending in a value flag: -itp 80", () => {
    const { spec } = run(["-itp", "80", "busybox"]);
    expect(spec.tty).toBe(true);
    expect(spec.network.ports[0]?.containerPort).toBe(80);
  });
  test("the first positional ends flag parsing", () => {
    const { args, spec } = run(["--rm", "busybox", "sh", "-c", "echo hi", "--name", "x"]);
    expect(args.imageOrRootfs).toBe("busybox");
    expect(args.command).toEqual(["sh", "-c", "echo hi", "--name", "x"]);
    expect(spec.command).toEqual(["sh", "-c", "echo hi", "--name", "x"]);
    expect(spec.name).toBeUndefined();
    expect(spec.autoRemove).toBe(true);
  });
  test("-- ends flags too", () => {
    const { args } = run(["-t", "--", "-weird-image", "-x"]);
    expect(args.imageOrRootfs).toBe("-weird-image");
    expect(args.command).toEqual(["-x"]);
  });
  test("bool flags take =value", () => {
    expect(run(["--rm=false", "x1"]).spec.autoRemove).toBe(false);
    expect(run(["--read-only=true", "x1"]).spec.readOnly).toBe(true);
    expect(specError(() => parseRunArgv(["--rm=maybe"])).message).toBe('invalid argument "maybe" for "--rm" flag: expected true or false');
  });
  test("a value that looks like a flag is still a value", () => {
    expect(run(["--memory-swap", "-1", "-m", "64m", "x1"]).spec.resources).toEqual({ memory: 64 * MiB, memorySwap: -1 });
  });
  test("unknown flags, with Docker's wording", () => {
    expect(specError(() => parseRunArgv(["--foo", "busybox"])).message).toBe("unknown flag: --foo");
    expect(specError(() => parseRunArgv(["--memroy", "1g"])).message).toBe("unknown flag: --memroy; did you mean --memory?");
    expect(specError(() => parseRunArgv(["-itz", "busybox"])).message).toBe("unknown shorthand flag: 'z' in -itz");
  });
  test("missing values", () => {
    expect(specError(() => parseRunArgv(["--name"])).message).toBe("flag needs an argument: --name");
    expect(specError(() => parseRunArgv(["-e"])).message).toBe("flag needs an argument: -e");
  });
  test("--help", () => {
    expect(parseRunArgv(["--help"]).help).toBe(true);
    expect(parseRunArgv(["busybox", "--help"]).help).toBe(false);
  });
  test("-f is captured, not applied", () => {
    expect(parseRunArgv(["-f", "web.toml", "-d"]).file).toBe("web.toml");
    expect(parseRunArgv(["--file=a.toml"]).file).toBe("a.toml");
  });
});

describe("flag values", () => {
  test("bad values are reported like Docker", () => {
    const e = specError(() => run(["-m", "12q", "busybox"]));
    expect(e.message).toBe(
      'invalid argument "12q" for "-m, --memory" flag: invalid size "12q": use a number with an optional unit b, k, m, g (e.g. 64m)',
    );
    expect(e.key).toBe("--memory");
  });
  test("list flags accumulate", () => {
    const { spec } = run([
      "-p", "80:80", "-p", "443:443/udp", "--dns", "1.1.1.1", "--dns", "8.8.8.8", "--cap-add", "net_admin",
      "--cap-add", "SYS_TIME", "-l", "a=1", "--label", "b", "--sysctl", "net.ipv4.ip_forward=1", "--group-add", "audio",
      "busybox",
    ]);
    expect(spec.network.ports).toEqual([
      { hostPort: 80, containerPort: 80, protocol: "tcp" },
      { hostPort: 443, containerPort: 443, protocol: "udp" },
    ]);
    expect(spec.network.dns).toEqual(["1.1.1.1", "8.8.8.8"]);
    expect(spec.security.capAdd).toEqual(["CAP_NET_ADMIN", "CAP_SYS_TIME"]);
    expect(spec.labels).toEqual({ a: "1", b: "" });
    expect(spec.sysctls).toEqual({ "net.ipv4.ip_forward": "1" });
    expect(spec.groupAdd).toEqual(["audio"]);
  });
  test("-e NAME takes the value from the environment", () => {
    expect(run(["-e", "HOME", "-e", "NOPE", "busybox"]).spec.env).toEqual({ HOME: "/home/me" });
  });
  test("--env-file is read before -e, whatever the order", () => {
    const args = parseRunArgv(["-e", "A=flag", "--env-file", "vars.env", "busybox"]);
    const read: string[] = [];
    const spec = applyRunArgv(defaultSpec(), args, {
      cwd: "/work",
      env: { TERM: "xterm" },
      readFile: (p) => {
        read.push(p);
        return "A=file\nB=file\nTERM\n";
      },
    });
    expect(read).toEqual(["/work/vars.env"]);
    expect(spec.env).toEqual({ A: "flag", B: "file", TERM: "xterm" });
  });
  test("resources", () => {
    const { spec } = run([
      "-m", "1g", "--memory-reservation", "512m", "--cpus", "1.5", "-c", "512", "--cpuset-cpus", "0-2",
      "--pids-limit", "100", "--blkio-weight", "500", "--device-read-bps", "/dev/sda:1mb", "busybox",
    ]);
    expect(spec.resources).toEqual({
      memory: 1024 * MiB,
      memoryReservation: 512 * MiB,
      cpus: 1.5,
      cpuShares: 512,
      cpusetCpus: "0-2",
      pidsLimit: 100,
      blkioWeight: 500,
      deviceReadBps: [{ path: "/dev/sda", rate: MiB }],
    });
    expect(run(["--pids-limit", "-1", "x1"]).spec.resources.pidsLimit).toBeUndefined();
    expect(specError(() => run(["--blkio-weight", "5", "x1"])).message).toContain("must be between 10 and 1000");
  });
  test("mounts: -v, --mount, --tmpfs; relative sources resolve against cwd", () => {
    const { spec } = run(["-v", "./data:/data:ro", "--mount", "type=bind,src=/etc/hosts,dst=/etc/hosts,readonly", "--tmpfs", "/run:size=64m,mode=1777", "busybox"]);
    expect(spec.mounts).toEqual([
      { type: "bind", source: "/work/data", target: "/data", readonly: true, options: [] },
      { type: "bind", source: "/etc/hosts", target: "/etc/hosts", readonly: true, options: [] },
      { type: "tmpfs", target: "/run", readonly: false, options: ["size=67108864", "mode=1777"] },
    ]);
  });
  test("the same target twice on the command line is an error", () => {
    expect(specError(() => run(["-v", "/a:/data", "--tmpfs", "/data", "x1"])).message).toContain("Duplicate mount point: /data");
  });
  test("entrypoint is one string, not split; empty clears it", () => {
    expect(run(["--entrypoint", "/bin/sh -x", "x1"]).spec.entrypoint).toEqual(["/bin/sh -x"]);
    expect(run(["--entrypoint=", "x1"]).spec.entrypoint).toEqual([]);
  });
  test("security options", () => {
    const { spec } = run(["--security-opt", "seccomp=unconfined", "--security-opt", "no-new-privileges:false", "--privileged", "x1"]);
    expect(spec.security).toMatchObject({ seccomp: "unconfined", noNewPrivileges: false, privileged: true });
    expect(run(["--security-opt", "seccomp=prof.json", "x1"]).spec.security.seccomp).toBe("/work/prof.json");
    expect(run(["--security-opt", "apparmor=unconfined", "x1"]).spec.security.seccomp).toBe("default");
    expect(specError(() => run(["--security-opt", "apparmor=docker-default", "x1"])).message).toContain("not supported");
    expect(specError(() => run(["--security-opt", "secomp=unconfined", "x1"])).message).toContain('did you mean "seccomp"?');
  });
  test("namespaces and networks", () => {
    const { spec } = run(["--pid", "host", "--ipc", "container:db", "--uts", "host", "--cgroupns", "private", "--userns", "host", "x1"]);
    expect(spec.namespaces).toEqual({ pid: { mode: "host" }, ipc: { mode: "container", container: "db" }, uts: { mode: "host" }, user: { mode: "host" } });
    const n = run(["--net", "host", "x1"]).spec;
    expect(n.network.mode).toBe("host");
    expect(n.namespaces.net).toEqual({ mode: "host" });
    const m = run(["--network", "front", "--network", "back", "--network-alias", "api", "x1"]).spec;
    expect(m.network).toMatchObject({ mode: "front", networks: ["back"], aliases: ["api"] });
    const r = run(["--userns-remap", "default", "x1"]).spec;
    expect(r.usernsRemap).toBe("default");
  });
  test("process settings", () => {
    const { spec } = run([
      "-u", "1000:1000", "-w", "/app", "-h", "box", "--restart", "on-failure:3", "--stop-signal", "QUIT",
      "--stop-timeout", "30", "--ulimit", "nofile=1024:2048", "--init", "x1",
    ]);
    expect(spec).toMatchObject({
      user: "1000:1000",
      workdir: "/app",
      hostname: "box",
      restart: { name: "on-failure", maxRetries: 3 },
      stopSignal: "SIGQUIT",
      stopTimeout: 30,
      ulimits: [{ name: "nofile", soft: 1024, hard: 2048 }],
      init: true,
    });
  });
});

describe("positionals", () => {
  test("an image name sets image; a path sets rootfs (resolved against cwd)", () => {
    expect(run(["busybox:1.36"]).spec).toMatchObject({ image: "busybox:1.36" });
    const r = run(["./rootfs", "/bin/sh"]).spec;
    expect(r.rootfs).toBe("/work/rootfs");
    expect(r.image).toBeUndefined();
    expect(r.command).toEqual(["/bin/sh"]);
  });
  test("the positional replaces the file's image or rootfs; no command keeps the file's", () => {
    const base = parseSpecToml('rootfs = "/srv/rootfs"\ncommand = ["httpd"]\n', "f.toml");
    const { spec } = run(["alpine"], base);
    expect(spec.image).toBe("alpine");
    expect(spec.rootfs).toBeUndefined();
    expect(spec.command).toEqual(["httpd"]);
  });
});

describe("flags over a file", () => {
  test("scalars replace, lists and maps add", () => {
    const base = parseSpecToml(
      'image = "busybox"\nname = "file"\nenv = { A = "file", B = "file" }\n[resources]\nmemory = "64m"\n[network]\nports = ["8080:80"]\n[[mounts]]\nsource = "/a"\ntarget = "/data"\n',
      "f.toml",
    );
    const { spec } = run(["--name", "flag", "-m", "128m", "-e", "A=flag", "-p", "9090:90", "-v", "/b:/data:ro", "-v", "/c:/other"], base);
    expect(spec.name).toBe("flag");
    expect(spec.resources.memory).toBe(128 * MiB);
    expect(spec.env).toEqual({ A: "flag", B: "file" });
    expect(spec.network.ports.map((p) => p.hostPort)).toEqual([8080, 9090]);
    expect(spec.mounts).toEqual([
      { type: "bind", source: "/b", target: "/data", readonly: true, options: [] },
      { type: "bind", source: "/c", target: "/other", readonly: false, options: [] },
    ]);
    expect(base.name).toBe("file"); // the base is not modified
  });
  test("buildRunSpec loads -f relative to cwd, applies flags and validates", () => {
    const args = parseRunArgv(["-f", "examples/web.toml", "-m", "128m", "--name", "web2"]);
    const { spec, file, warnings } = buildRunSpec(args, { cwd: ROOT, env: {} });
    expect(file).toBe(join(ROOT, "examples/web.toml"));
    expect(spec.name).toBe("web2");
    expect(spec.resources.memory).toBe(128 * MiB);
    expect(spec.rootfs).toBe(join(ROOT, "examples/rootfs"));
    expect(spec.network.ports).toEqual([{ hostPort: 8080, containerPort: 80, protocol: "tcp" }]);
    expect(warnings).toEqual([]);
  });
  test("buildRunSpec names the file as given in errors", () => {
    const e = specError(() => buildRunSpec(parseRunArgv(["-f", "examples/nope.toml"]), { cwd: ROOT }));
    expect(e.message).toBe("examples/nope.toml: cannot read container file: no such file");
  });
  test("buildRunSpec validates", () => {
    expect(specError(() => buildRunSpec(parseRunArgv(["--rm", "--restart", "always", "busybox"]))).message).toBe(
      "Conflicting options: --restart and --rm",
    );
    expect(specError(() => buildRunSpec(parseRunArgv(["-d"]))).message).toContain("no image or rootfs given");
  });
});

describe("exec", () => {
  test("flags, container, command", () => {
    const r = parseExecArgv(["-it", "-e", "A=1", "-e", "HOME", "-u", "root", "-w", "/tmp", "--privileged", "web", "sh", "-c", "ls -l"], {
      HOME: "/root",
    });
    expect(r).toEqual({
      help: false,
      exec: {
        container: "web",
        command: ["sh", "-c", "ls -l"],
        detach: false,
        interactive: true,
        tty: true,
        env: { A: "1", HOME: "/root" },
        user: "root",
        workdir: "/tmp",
        privileged: true,
      },
    });
  });
  test("needs a container and a command", () => {
    expect(specError(() => parseExecArgv(["web"])).message).toContain("requires at least 2 arguments");
    expect(specError(() => parseExecArgv(["--memory", "1g", "web", "ls"])).message).toBe("unknown flag: --memory");
  });
  test("--help", () => {
    expect(parseExecArgv(["--help"])).toEqual({ help: true });
  });
});

describe("help", () => {
  test("every flag is listed, with short names and value kinds", () => {
    const help = formatFlagHelp(RUN_FLAGS);
    expect(help.split("\n").filter((l) => /^\s+(-\w, )?--/.test(l)).length).toBe(RUN_FLAGS.length);
    expect(help).toMatch(/^ {2}-m, --memory bytes +Memory limit$/m);
    expect(help).toMatch(/^ {6}--rm +Automatically remove/m);
    expect(help).toContain("(also --net)");
    expect(formatFlagHelp(EXEC_FLAGS)).toContain("-d, --detach");
  });
  test("the table has the Docker flags asked for, without duplicate names", () => {
    const names = RUN_FLAGS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of ["detach", "interactive", "tty", "rm", "name", "file", "env", "env-file", "publish", "volume", "mount", "tmpfs", "security-opt", "userns", "userns-remap", "cgroupns", "init"]) {
      expect(names).toContain(n);
    }
    const shorts = RUN_FLAGS.flatMap((f) => (f.short === undefined ? [] : [f.short]));
    expect(new Set(shorts).size).toBe(shorts.length);
  });
});
