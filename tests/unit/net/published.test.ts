// -P, --expose and how published ports are shown (ps PORTS, `port`), without root.
import { describe, expect, test } from "bun:test";
import { formatPorts, portLines, publishExposed } from "../../../net/published.ts";
import { parseExpose } from "../../../spec/network.ts";
import { applyRunArgv, parseRunArgv } from "../../../spec/flags.ts";
import { parseSpecToml } from "../../../spec/toml.ts";
import { defaultSpec } from "../../../spec/types.ts";

const b = (hostPort: number, containerPort: number, protocol: "tcp" | "udp" = "tcp", hostIp = "0.0.0.0") => ({ hostIp, hostPort, containerPort, protocol });

describe("ps PORTS and port", () => {
  test("Docker's column: bindings and unpublished exposed ports, by container port", () => {
    expect(formatPorts([b(8080, 80), b(5353, 53, "udp")], ["80/tcp", "443/tcp"])).toBe("0.0.0.0:5353->53/udp, 0.0.0.0:8080->80/tcp, 443/tcp");
    expect(formatPorts([b(9000, 90, "tcp", "::1")])).toBe("[::1]:9000->90/tcp");
    expect(formatPorts([])).toBe("");
  });

  test("`port`: every mapping, or the host side of one", () => {
    const all = [b(8080, 80), b(5353, 53, "udp"), b(8081, 80, "tcp", "127.0.0.1")];
    expect(portLines(all)).toEqual(["53/udp -> 0.0.0.0:5353", "80/tcp -> 0.0.0.0:8080", "80/tcp -> 127.0.0.1:8081"]);
    expect(portLines(all, { port: 80 })).toEqual(["0.0.0.0:8080", "127.0.0.1:8081"]);
    expect(portLines(all, { port: 53 })).toEqual([]);
    expect(portLines(all, { port: 53, protocol: "udp" })).toEqual(["0.0.0.0:5353"]);
  });
});

describe("-P and --expose", () => {
  test("--expose takes a port, a protocol, a range", () => {
    expect(parseExpose("80")).toEqual(["80/tcp"]);
    expect(parseExpose("53/udp")).toEqual(["53/udp"]);
    expect(parseExpose("7000-7002/tcp")).toEqual(["7000/tcp", "7001/tcp", "7002/tcp"]);
    expect(() => parseExpose("80/sctp")).toThrow('protocol "sctp" is not supported');
    expect(() => parseExpose("0")).toThrow("is not a port");
  });

  test("-P adds the exposed ports not published already, each on a free host port", () => {
    const explicit = [{ hostPort: 8080, containerPort: 80, protocol: "tcp" as const }];
    expect(publishExposed(explicit, ["80/tcp", "53/udp", "443/tcp"])).toEqual([
      ...explicit, { hostPort: 0, containerPort: 53, protocol: "udp" }, { hostPort: 0, containerPort: 443, protocol: "tcp" },
    ]);
  });

  test("flags and TOML build the same spec", () => {
    const flags = applyRunArgv(defaultSpec(), parseRunArgv(["-P", "--expose", "80", "--expose", "53/udp", "img"]), { env: {}, cwd: "/" });
    expect(flags.network.publishAll).toBe(true);
    expect(flags.network.expose).toEqual(["80/tcp", "53/udp"]);
    const file = parseSpecToml('image = "img"\n[network]\npublish_all = true\nexpose = ["80", "53/udp"]\n', "t.toml");
    expect(file.network.publishAll).toBe(true);
    expect(file.network.expose).toEqual(["80/tcp", "53/udp"]);
  });
});
