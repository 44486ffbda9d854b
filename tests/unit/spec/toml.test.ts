import { describe, expect, test } from "bun:test";
import { dirname, join, resolve } from "node:path";
import { SpecError } from "../../../spec/errors.ts";
import { locateKeys } from "../../../spec/toml-lines.ts";
import { loadSpecFile, parseSpecToml } from "../../../spec/toml.ts";
import { defaultSpec } from "../../../spec/types.ts";

const EXAMPLES = resolve(dirname(import.meta.path), "../../../examples");

/** The SpecError thrown by `fn` (fails the test if none is). */
function specError(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw e;
  }
  throw new Error("expected a SpecError");
}

const parse = (text: string) => parseSpecToml(text, "test.toml");

describe("syntax errors", () => {
  test("carry file and line from smol-toml", () => {
    const e = specError(() => parse('name = "web"\n\n[resources\nmemory = "64m"\n'));
    expect(e.file).toBe("test.toml");
    expect(e.line).toBe(3);
    expect(e.message).toStartWith("test.toml:3: invalid TOML: ");
    expect(e.message).not.toContain("\n");
  });
  test("a duplicated key", () => {
    const e = specError(() => parse('image = "a"\nimage = "b"\n'));
    expect(e.message).toStartWith("test.toml:2: invalid TOML:");
  });
});

describe("unknown keys", () => {
  test("in a table, with did-you-mean and the key's line", () => {
    const text = 'name = "web"\nimage = "busybox"\n\n[resources]\ncpus = 1\nmemmory = "64m"\n';
    const e = specError(() => parse(text));
    expect(e.message).toBe('test.toml:6: unknown key "memmory" in [resources]; did you mean "memory"?');
    expect(e.line).toBe(6);
    expect(e.key).toBe("resources.memmory");
  });
  test("at the top level", () => {
    const e = specError(() => parse('image = "x"\n# a comment\ncomand = "sh"\n'));
    expect(e.message).toBe('test.toml:3: unknown key "comand" at the top level; did you mean "command"?');
  });
  test("an unknown table", () => {
    const e = specError(() => parse('image = "x"\n\n[resourses]\nmemory = "1g"\n'));
    expect(e.message).toBe('test.toml:3: unknown key "resourses" at the top level; did you mean "resources"?');
  });
  test("in the second [[mounts]]", () => {
    const text = '[[mounts]]\ntarget = "/a"\n\n[[mounts]]\ntarget = "/b"\nreadolny = true\n';
    const e = specError(() => parse(text));
    expect(e.message).toBe('test.toml:6: unknown key "readolny" in [[mounts]]; did you mean "readonly"?');
  });
  test("inside an inline table in a multi-line array", () => {
    const text = '[network]\nports = [\n  "80",\n  # comment, with [brackets]\n  { host = 8080, contaner = 80 },\n]\n';
    const e = specError(() => parse(text));
    expect(e.message).toBe('test.toml:5: unknown key "contaner" in network.ports[1]; did you mean "container"?');
  });
  test("no suggestion when nothing is close", () => {
    const e = specError(() => parse("[security]\nxyzzy = true\n"));
    expect(e.message).toBe('test.toml:2: unknown key "xyzzy" in [security]');
  });
});

describe("wrong types and bad values", () => {
  test("a string where a boolean belongs", () => {
    const e = specError(() => parse('image = "x"\ntty = "yes"\n'));
    expect(e.message).toBe("test.toml:2: tty: expected a boolean (true or false), got a string");
    expect(e.key).toBe("tty");
  });
  test("a boolean where a size belongs", () => {
    const e = specError(() => parse("[resources]\n\nmemory = true\n"));
    expect(e.message).toBe('test.toml:3: resources.memory: expected a size (a string like "64m" or a whole number of bytes), got a boolean');
  });
  test("memory = 12q", () => {
    const e = specError(() => parse('image = "x"\n[resources]\nmemory = "12q"\n'));
    expect(e.message).toBe(
      'test.toml:3: resources.memory: invalid size "12q": use a number with an optional unit b, k, m, g (e.g. 64m)',
    );
    expect(e.line).toBe(3);
    expect(e.key).toBe("resources.memory");
  });
  test("a dotted key at the top level", () => {
    const e = specError(() => parse('image = "x"\nresources.memory = "12q"\n'));
    expect(e.message).toStartWith("test.toml:2: resources.memory: invalid size");
  });
  test("a bad element of a list points at its line", () => {
    const e = specError(() => parse('[network]\nports = [\n  "8080:80",\n  "8081:99999",\n]\n'));
    expect(e.message).toStartWith("test.toml:4: network.ports[1]: invalid port");
  });
  test("lines after a multi-line string are counted", () => {
    const text = 'image = "x"\nlabels = { a = "1" }\ncommand = """\nsh\n-c\n"""\nstop_signal = "SIGFOO"\n';
    const e = specError(() => parse(text));
    expect(e.line).toBe(7);
    expect(e.message).toContain("stop_signal: invalid signal");
  });
  test("a table where a string belongs", () => {
    const e = specError(() => parse("[[mounts]]\ntarget = { a = 1 }\n"));
    expect(e.message).toBe("test.toml:2: mounts[0].target: expected a string, got a table");
  });
  test("tmpfs mode must be a string of octal digits", () => {
    const e = specError(() => parse('[[mounts]]\ntype = "tmpfs"\ntarget = "/run"\nmode = 1777\n'));
    expect(e.message).toContain('test.toml:4: mounts[0].mode: write the mode as a string of octal digits');
  });
  test("aliases may not both be given", () => {
    const e = specError(() => parse('[resources]\ncpuset = "0"\ncpuset_cpus = "1"\n'));
    expect(e.message).toBe("test.toml:3: resources.cpuset_cpus: cpuset and cpuset_cpus are the same setting; keep one");
  });
  test("relative workdir", () => {
    expect(specError(() => parse('workdir = "app"\n')).message).toContain("it must be an absolute path");
  });
});

describe("values", () => {
  test("env as a table", () => {
    const s = parse('image = "x"\n[env]\nA = "1"\nPORT = 8080\nDEBUG = true\n');
    expect(s.env).toEqual({ A: "1", PORT: "8080", DEBUG: "true" });
  });
  test("env as a list; bare names come from the given environment", () => {
    const s = parseSpecToml('env = ["A=1", "B=x=y", "HOME", "UNSET"]\n', "t.toml", { env: { HOME: "/root" } });
    expect(s.env).toEqual({ A: "1", B: "x=y", HOME: "/root" });
  });
  test("env of the wrong type", () => {
    expect(specError(() => parse("env = 5\n")).message).toBe(
      'test.toml:1: env: expected a table (A = "1") or an array of "A=1" strings, got an integer',
    );
  });
  test("pull: always, missing or never", () => {
    expect(parse(`image = "busybox"\npull = "never"`).pull).toBe("never");
    const e = specError(() => parse(`image = "busybox"\npull = "sometimes"`));
    expect(e.message).toContain("pull");
    expect(e.message).toContain('must be "always", "missing" or "never"');
  });
  test("command as a string is split into words; as an array kept", () => {
    expect(parse(`command = "nginx -g 'daemon off;'"`).command).toEqual(["nginx", "-g", "daemon off;"]);
    expect(parse(`entrypoint = ["/bin/sh", "-c"]`).entrypoint).toEqual(["/bin/sh", "-c"]);
  });
  test("a full file", () => {
    const text = `
name = "web"
image = "busybox:1.36"
user = 1000
group_add = ["audio", 44]
hostname = "web1"
read_only = true
restart = "on-failure:5"
stop_signal = "QUIT"
stop_timeout = "1m30s"
init = true
# quoted names, and unquoted dotted ones (nested tables, flattened back)
sysctls = { "net.core.somaxconn" = "1024", net.ipv4.ip_forward = 1 }
labels = { "com.example.team" = "web" }

[ulimits]
nofile = "1024:2048"
nproc = 512
core = { soft = 0, hard = "unlimited" }

[resources]
memory = "256m"
memory_swap = -1
memory_reservation = 134217728
cpus = "1.5"
cpu_shares = 512
cpuset = "0-1"
pids = 100
blkio_weight = 300
device_read_bps = ["/dev/sda:10m", { path = "/dev/sdb", rate = 1024 }]

[network]
mode = "appnet"
ports = ["8080:80", { host = 8443, container = 443, host_ip = "127.0.0.1" }, { container = 53, protocol = "udp" }]
dns = ["1.1.1.1"]
aliases = ["www"]
extra_hosts = ["db:10.0.0.5"]

[[mounts]]
source = "/srv/www"
target = "/www"
readonly = true

[[mounts]]
source = "cache"
target = "/cache"

[[mounts]]
type = "tmpfs"
target = "/run"
size = "64m"
mode = "1777"
options = ["noexec"]

[security]
cap_add = ["net_admin"]
cap_drop = ["ALL"]
seccomp = "unconfined"
no_new_privs = false

[namespaces]
pid = "host"
ipc = "container:db"
user = "remap"
`;
    const s = parse(text);
    expect(s.name).toBe("web");
    expect(s.image).toBe("busybox:1.36");
    expect(s.user).toBe("1000");
    expect(s.groupAdd).toEqual(["audio", "44"]);
    expect(s.readOnly).toBe(true);
    expect(s.restart).toEqual({ name: "on-failure", maxRetries: 5 });
    expect(s.stopSignal).toBe("SIGQUIT");
    expect(s.stopTimeout).toBe(90);
    expect(s.init).toBe(true);
    expect(s.sysctls).toEqual({ "net.core.somaxconn": "1024", "net.ipv4.ip_forward": "1" });
    expect(s.labels).toEqual({ "com.example.team": "web" });
    expect(s.ulimits).toEqual([
      { name: "nofile", soft: 1024, hard: 2048 },
      { name: "nproc", soft: 512, hard: 512 },
      { name: "core", soft: 0, hard: -1 },
    ]);
    expect(s.resources).toEqual({
      memory: 256 * 1024 * 1024,
      memorySwap: -1,
      memoryReservation: 134217728,
      cpus: 1.5,
      cpuShares: 512,
      cpusetCpus: "0-1",
      pidsLimit: 100,
      blkioWeight: 300,
      deviceReadBps: [
        { path: "/dev/sda", rate: 10 * 1024 * 1024 },
        { path: "/dev/sdb", rate: 1024 },
      ],
    });
    expect(s.network.mode).toBe("appnet");
    expect(s.network.ports).toEqual([
      { hostPort: 8080, containerPort: 80, protocol: "tcp" },
      { hostPort: 8443, containerPort: 443, protocol: "tcp", hostIp: "127.0.0.1" },
      { hostPort: 0, containerPort: 53, protocol: "udp" },
    ]);
    expect(s.network.dns).toEqual(["1.1.1.1"]);
    expect(s.network.extraHosts).toEqual(["db:10.0.0.5"]);
    expect(s.mounts).toEqual([
      { type: "bind", source: "/srv/www", target: "/www", readonly: true, options: [] },
      { type: "volume", source: "cache", target: "/cache", readonly: false, options: [] },
      { type: "tmpfs", target: "/run", readonly: false, options: ["noexec", "size=67108864", "mode=1777"] },
    ]);
    expect(s.security).toEqual({ privileged: false, capAdd: ["CAP_NET_ADMIN"], capDrop: ["ALL"], seccomp: "unconfined", noNewPrivileges: false });
    expect(s.namespaces).toEqual({ pid: { mode: "host" }, ipc: { mode: "container", container: "db" }, user: { mode: "private" } });
    expect(s.usernsRemap).toBe("default");
  });
  test("an empty file is the default spec", () => {
    expect(parse("")).toEqual(defaultSpec());
  });
});

describe("namespaces", () => {
  test("user = host / a subuid name", () => {
    expect(parse('[namespaces]\nuser = "host"\n').namespaces.user).toEqual({ mode: "host" });
    const s = parse('[namespaces]\nuser = "ctrremap"\n');
    expect(s.usernsRemap).toBe("ctrremap");
    expect(s.namespaces.user).toEqual({ mode: "private" });
  });
  test("net and [network] mode stay in step", () => {
    const a = parse('[namespaces]\nnet = "host"\n');
    expect(a.network.mode).toBe("host");
    expect(a.namespaces.net).toEqual({ mode: "host" });
    const b = parse('[network]\nmode = "container:db"\n');
    expect(b.namespaces.net).toEqual({ mode: "container", container: "db" });
    const c = parse('[namespaces]\nnet = "/run/netns/blue"\n');
    expect(c.network.mode).toBe("ns:/run/netns/blue");
  });
  test("net conflicting with [network] mode, whichever comes first", () => {
    const e = specError(() => parse('[namespaces]\nnet = "host"\n\n[network]\nmode = "bridge"\n'));
    expect(e.message).toStartWith("test.toml:2: namespaces.net: conflicts with [network] mode");
  });
  test("mount = host is refused", () => {
    expect(specError(() => parse('[namespaces]\nmount = "host"\n')).message).toContain("not possible for the mount namespace");
  });
});

describe("relative paths", () => {
  test("resolve against baseDir", () => {
    const s = parseSpecToml(
      'rootfs = "./rootfs"\n[[mounts]]\ntype = "bind"\nsource = "data"\ntarget = "/data"\n[security]\nseccomp = "prof.json"\n',
      "x.toml",
      { baseDir: "/srv/app" },
    );
    expect(s.rootfs).toBe("/srv/app/rootfs");
    expect(s.mounts[0]?.source).toBe("/srv/app/data");
    expect(s.security.seccomp).toBe("/srv/app/prof.json");
  });
  test("loadSpecFile resolves against the file's directory", () => {
    const s = loadSpecFile(join(EXAMPLES, "minimal.toml"));
    expect(s.rootfs).toBe(join(EXAMPLES, "rootfs"));
  });
  test("a missing file", () => {
    const e = specError(() => loadSpecFile("/nonexistent/ctr.toml"));
    expect(e.message).toBe("/nonexistent/ctr.toml: cannot read container file: no such file");
  });
});

test("the key locator follows tables, arrays of tables and inline tables", () => {
  const text = [
    'a = 1', //                    1
    '[t]', //                      2
    'b = "x # not a comment"', //  3
    '[[arr]]', //                  4
    'c = 1', //                    5
    '[[arr]]', //                  6
    "'quoted key' = [", //         7
    '  { d = 1 },', //             8
    '  { e = """', //              9
    'multi', //                   10
    '""" },', //                  11
    ']', //                       12
    '[t.sub]', //                 13
    'f.g = 2', //                 14
  ].join("\n");
  const loc = locateKeys(text);
  expect(loc.lineOf(["a"])).toBe(1);
  expect(loc.lineOf(["t", "b"])).toBe(3);
  expect(loc.lineOf(["arr", 0, "c"])).toBe(5);
  expect(loc.lineOf(["arr", 1])).toBe(6);
  expect(loc.lineOf(["arr", 1, "quoted key", 0, "d"])).toBe(8);
  expect(loc.lineOf(["arr", 1, "quoted key", 1, "e"])).toBe(9);
  expect(loc.lineOf(["t", "sub", "f", "g"])).toBe(14);
  expect(loc.lineOf(["t", "sub", "f", "missing"])).toBe(14);
  expect(loc.lineOf(["nothing"])).toBeUndefined();
});
