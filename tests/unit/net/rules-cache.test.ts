// The nf_tables batch from a network's template (net/rules-cache.ts) must be
// byte for byte the batch net/firewall.ts would encode for the container.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { endpointRules } from "../../../net/container.ts";
import { rulesBatch } from "../../../net/firewall.ts";
import { forgetTemplates, rulesFromTemplate } from "../../../net/rules-cache.ts";
import type { NetworkRecord } from "../../../net/store.ts";

const root = mkdtempSync(join(tmpdir(), "ctr-rules-cache-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const net: NetworkRecord = {
  name: "web", id: "ab".repeat(32), driver: "bridge", bridge: "br-abab", subnet: "10.7.0.0/16", gateway: "10.7.0.1",
  internal: false, mtu: 1500, created: "", labels: {}, endpoints: {},
};
const batch = (ip: string, id: string, first: boolean) =>
  rulesBatch(endpointRules({ nat: true, ipForward: false }, id, [{ net: { ...net, endpoints: { [id]: { container: id, name: "x", aliases: [], ip, mac: "", veth: "", ifname: "eth0" } } }, first }]), 4096);

describe("rules from a network's template", () => {
  test("patched for each container: the same bytes as encoding it, from the first call on and from the file after", async () => {
    for (const first of [true, false]) {
      let built = 0;
      const build = async (ip: string, id: string) => (built++, batch(ip, id, first));
      for (const [ip, id] of [["10.7.0.2", "1".repeat(64)], ["10.7.3.200", "f0".repeat(32)], ["10.7.0.2", "1".repeat(64)]] as const) {
        const got = (await rulesFromTemplate(root, `${net.id.slice(0, 16)}-${first ? "first" : "next"}`, ip, id, build))!;
        const want = batch(ip, id, first)!;
        expect(got.commands).toBe(want.commands);
        expect(Buffer.from(got.bytes).equals(Buffer.from(want.bytes))).toBe(true);
      }
      expect(built).toBe(1); // once, with the sentinels
    }
    expect(readdirSync(join(root, "networks", ".rules")).length).toBe(2);
  });
  test("a batch without the sentinels once each (an --internal network: no address in it) is built each time, not kept", async () => {
    let built = 0;
    const internal = async (ip: string, id: string) => (built++, rulesBatch(endpointRules({ nat: true, ipForward: false }, id, [{ net: { ...net, internal: true, endpoints: { [id]: { container: id, name: "x", aliases: [], ip, mac: "", veth: "", ifname: "eth0" } } }, first: true }]), 4096));
    await rulesFromTemplate(root, "internal-first", "10.7.0.2", "1".repeat(64), internal);
    await rulesFromTemplate(root, "internal-first", "10.7.0.3", "2".repeat(64), internal);
    expect(built).toBe(4);
    expect(existsSync(join(root, "networks", ".rules", "internal-first-dev.bin"))).toBe(false);
  });
  test("network rm forgets them", () => {
    forgetTemplates(root, net.id);
    expect(readdirSync(join(root, "networks", ".rules"))).toEqual([]);
  });
});
