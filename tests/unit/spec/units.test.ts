import { describe, expect, test } from "bun:test";
import { didYouMean, levenshtein, SpecError } from "../../../spec/errors.ts";
import { parseEnvFile, parseEnvList, parseKeyValue } from "../../../spec/env.ts";
import { parseRestart } from "../../../spec/restart.ts";
import { parseSignal, SIGNALS, signalNumber } from "../../../spec/signals.ts";
import { parseUlimit } from "../../../spec/ulimits.ts";
import { parseBool, parseCpus, parseDuration, parseSize } from "../../../spec/units.ts";
import { splitShellWords } from "../../../spec/words.ts";
import { parseCapability } from "../../../spec/capabilities.ts";

const K = 1024;
const M = 1024 * K;
const G = 1024 * M;

describe("parseSize", () => {
  test.each([
    ["0", 0],
    ["100", 100],
    ["100b", 100],
    ["100B", 100],
    ["512k", 512 * K],
    ["512KiB", 512 * K],
    ["512kb", 512 * K],
    ["64m", 64 * M],
    ["64M", 64 * M],
    ["64MiB", 64 * M],
    ["64mb", 64 * M],
    ["1g", G],
    ["1.5G", 1.5 * G],
    ["2t", 2 * 1024 * G],
    ["1.5", 1],
  ])("%p -> %p", (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  test.each(["12q", "", " ", "-1m", "1.2.3m", "m", "64 mm", "1e3", "0x10", "12ib", "64m!", "1,5g"])("rejects %p", (input) => {
    expect(() => parseSize(input)).toThrow(SpecError);
  });

  test("the message says what a size looks like", () => {
    expect(() => parseSize("12q")).toThrow('invalid size "12q": use a number with an optional unit b, k, m, g (e.g. 64m)');
  });
});

describe("parseDuration", () => {
  test.each([
    ["10s", 10],
    ["1m30s", 90],
    ["1h", 3600],
    ["500ms", 0.5],
    ["2m", 120],
    ["10", 10],
    ["1.5", 1.5],
    ["1.5s", 1.5],
    ["1h2m3s", 3723],
    ["0", 0],
  ])("%p -> %p seconds", (input, secs) => {
    expect(parseDuration(input)).toBeCloseTo(secs, 9);
  });

  test.each(["", "s", "10x", "-5s", "1m30", "ten", "1.2.3s", "5 s"])("rejects %p", (input) => {
    expect(() => parseDuration(input)).toThrow(SpecError);
  });
});

describe("parseCpus", () => {
  test("fractions", () => {
    expect(parseCpus("1.5")).toBe(1.5);
    expect(parseCpus("2")).toBe(2);
    expect(parseCpus(".5")).toBe(0.5);
    expect(parseCpus("0")).toBe(0);
  });
  test.each(["-1", "abc", "", "1.0000000001", "1,5"])("rejects %p", (input) => {
    expect(() => parseCpus(input)).toThrow(SpecError);
  });
});

describe("signals", () => {
  test("names, short names and numbers become the canonical name", () => {
    expect(parseSignal("TERM")).toBe("SIGTERM");
    expect(parseSignal("SIGTERM")).toBe("SIGTERM");
    expect(parseSignal("sigterm")).toBe("SIGTERM");
    expect(parseSignal("15")).toBe("SIGTERM");
    expect(parseSignal("9")).toBe("SIGKILL");
    expect(parseSignal("IOT")).toBe("SIGABRT");
    expect(parseSignal("34")).toBe("SIGRTMIN");
    expect(parseSignal("RTMIN+3")).toBe("SIGRTMIN+3");
    expect(parseSignal("RTMIN+20")).toBe("SIGRTMAX-10");
  });
  test("the table is Linux x86_64's", () => {
    expect(SIGNALS.SIGHUP).toBe(1);
    expect(SIGNALS.SIGUSR1).toBe(10);
    expect(SIGNALS.SIGCHLD).toBe(17);
    expect(SIGNALS.SIGWINCH).toBe(28);
    expect(SIGNALS.SIGSYS).toBe(31);
    expect(SIGNALS.SIGRTMAX).toBe(64);
    expect(signalNumber("USR2")).toBe(12);
  });
  test("bad signals", () => {
    expect(() => parseSignal("0")).toThrow(SpecError);
    expect(() => parseSignal("65")).toThrow(SpecError);
    expect(() => parseSignal("SIGTREM")).toThrow('did you mean "SIGTERM"?');
  });
});

describe("parseUlimit", () => {
  test("soft:hard, single value, unlimited", () => {
    expect(parseUlimit("nofile=1024:2048")).toEqual({ name: "nofile", soft: 1024, hard: 2048 });
    expect(parseUlimit("nproc=512")).toEqual({ name: "nproc", soft: 512, hard: 512 });
    expect(parseUlimit("core=0:unlimited")).toEqual({ name: "core", soft: 0, hard: -1 });
  });
  test("errors", () => {
    expect(() => parseUlimit("nofile")).toThrow("expected name=soft[:hard]");
    expect(() => parseUlimit("nofiles=1")).toThrow('did you mean "nofile"?');
    expect(() => parseUlimit("nofile=2048:1024")).toThrow("soft limit (2048) must be less than or equal to the hard limit (1024)");
    expect(() => parseUlimit("nofile=abc")).toThrow(SpecError);
    expect(() => parseUlimit("nofile=1:2:3")).toThrow(SpecError);
  });
});

describe("parseRestart", () => {
  test("policies", () => {
    expect(parseRestart("no")).toEqual({ name: "no", maxRetries: 0 });
    expect(parseRestart("always")).toEqual({ name: "always", maxRetries: 0 });
    expect(parseRestart("unless-stopped")).toEqual({ name: "unless-stopped", maxRetries: 0 });
    expect(parseRestart("on-failure")).toEqual({ name: "on-failure", maxRetries: 0 });
    expect(parseRestart("on-failure:3")).toEqual({ name: "on-failure", maxRetries: 3 });
  });
  test("errors", () => {
    expect(() => parseRestart("always:3")).toThrow("maximum retry count cannot be used with restart policy 'always'");
    expect(() => parseRestart("on-failure:x")).toThrow(SpecError);
    expect(() => parseRestart("sometimes")).toThrow(SpecError);
    expect(() => parseRestart("alway")).toThrow('did you mean "always"?');
  });
});

describe("env and key=value", () => {
  test("bare names come from the given environment, and are dropped when unset", () => {
    expect(parseEnvList(["A=1", "B", "C", "D=x=y", "E="], { B: "from-host" })).toEqual({ A: "1", B: "from-host", D: "x=y", E: "" });
  });
  test("later entries win", () => {
    expect(parseEnvList(["A=1", "A=2"])).toEqual({ A: "2" });
  });
  test("an empty name is refused", () => {
    expect(() => parseEnvList(["=1"])).toThrow("invalid environment variable: =1");
  });
  test("env files: comments, blanks, bare names, quotes kept", () => {
    const text = "# comment\n\nA=1\nB\n  C=\"quoted\"\r\nD=a b\n";
    expect(parseEnvFile(text, { B: "b" })).toEqual({ A: "1", B: "b", C: '"quoted"', D: "a b" });
  });
  test("key=value", () => {
    expect(parseKeyValue("a=b=c", "label", true)).toEqual(["a", "b=c"]);
    expect(parseKeyValue("flag", "label", true)).toEqual(["flag", ""]);
    expect(() => parseKeyValue("flag", "sysctl", false)).toThrow('invalid sysctl "flag": expected key=value');
  });
});

describe("splitShellWords", () => {
  test("whitespace, quotes and escapes", () => {
    expect(splitShellWords("httpd -f  -p 80")).toEqual(["httpd", "-f", "-p", "80"]);
    expect(splitShellWords(`nginx -g 'daemon off;'`)).toEqual(["nginx", "-g", "daemon off;"]);
    expect(splitShellWords(`echo "a \\"b\\" c" d\\ e ''`)).toEqual(["echo", 'a "b" c', "d e", ""]);
    expect(splitShellWords("  ")).toEqual([]);
  });
  test("unterminated quotes", () => {
    expect(() => splitShellWords("echo 'hi")).toThrow("unterminated single quote");
    expect(() => splitShellWords('echo "hi')).toThrow("unterminated double quote");
  });
});

describe("did you mean", () => {
  test("levenshtein", () => {
    expect(levenshtein("memmory", "memory")).toBe(1);
    expect(levenshtein("", "abc")).toBe(3);
    expect(levenshtein("kitten", "sitting")).toBe(3);
    expect(levenshtein("memroy", "memory")).toBe(1);
  });
  test("close words and prefixes", () => {
    expect(didYouMean("memmory", ["memory", "memory_swap", "cpus"])).toBe("memory");
    expect(didYouMean("mem", ["cpus", "memory"])).toBe("memory");
    expect(didYouMean("zzzzzz", ["memory", "cpus"])).toBeUndefined();
  });
});

test("parseBool takes Go's spellings", () => {
  expect(parseBool("true")).toBe(true);
  expect(parseBool("1")).toBe(true);
  expect(parseBool("F")).toBe(false);
  expect(() => parseBool("yes")).toThrow(SpecError);
});

test("capabilities are canonicalised with the CAP_ prefix", () => {
  expect(parseCapability("net_admin")).toBe("CAP_NET_ADMIN");
  expect(parseCapability("CAP_SYS_ADMIN")).toBe("CAP_SYS_ADMIN");
  expect(parseCapability("all")).toBe("ALL");
  expect(() => parseCapability("NET_ADMN")).toThrow('did you mean "CAP_NET_ADMIN"?');
});
