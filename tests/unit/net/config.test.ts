// The host config's run-time keys (nat, ip_forward): read at every run, parsed only when the file names them.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadNetConfig, runSettings } from "../../../net/config.ts";

const dir = mkdtempSync("/tmp/ctr-config-test-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("nat and ip_forward", () => {
  test("defaults: NAT on, forwarding left alone; also without a file", () => {
    expect(runSettings(join(dir, "none.toml"))).toEqual({ nat: true, ipForward: false });
    expect(runSettings(file("plain.toml", '[network]\nbridge = "br9"\n'))).toEqual({ nat: true, ipForward: false });
  });

  test("a file that names them is parsed", () => {
    expect(runSettings(file("off.toml", "[network]\nnat = false\nip_forward = true\n"))).toEqual({ nat: false, ipForward: true });
    expect(runSettings(file("commented.toml", "[network]\n# nat = false\n"))).toEqual({ nat: true, ipForward: false });
  });

  test("a wrong type is an error naming the key", () => {
    expect(() => runSettings(file("bad.toml", '[network]\nnat = "no"\n'))).toThrow("network.nat must be true or false");
    expect(() => loadNetConfig(file("bad2.toml", "[network]\nip_forward = 1\n"))).toThrow("network.ip_forward must be true or false");
  });
});
