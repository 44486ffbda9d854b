import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadSpecFile } from "../../../spec/toml.ts";
import { validateSpec } from "../../../spec/validate.ts";

const EXAMPLES = resolve(dirname(import.meta.path), "../../../examples");
const MiB = 1024 * 1024;

test.each(readdirSync(EXAMPLES).filter((f) => f.endsWith(".toml")))("examples/%s loads and validates", (f) => {
  const spec = loadSpecFile(join(EXAMPLES, f), { env: {} });
  expect(spec.rootfs ?? spec.image).toBeDefined();
  expect(validateSpec(spec)).toEqual([]);
});

test("the example set is the one the README describes", () => {
  expect(readdirSync(EXAMPLES).filter((f) => f.endsWith(".toml")).sort()).toEqual(["app.toml", "db.toml", "minimal.toml", "web.toml"]);
});

test("web.toml: httpd on 8080:80 with 64m of memory", () => {
  const spec = loadSpecFile(join(EXAMPLES, "web.toml"));
  expect(spec.name).toBe("web");
  expect(spec.rootfs).toBe(join(EXAMPLES, "rootfs"));
  expect(spec.command?.[0]).toBe("httpd");
  expect(spec.resources.memory).toBe(64 * MiB);
  expect(spec.network.ports).toEqual([{ hostPort: 8080, containerPort: 80, protocol: "tcp" }]);
  expect(spec.mounts[0]).toEqual({ type: "bind", source: join(EXAMPLES, "www"), target: "/www", readonly: true, options: [] });
  expect(spec.stopTimeout).toBe(5);
});

test("db.toml and app.toml share the user-defined network appnet", () => {
  const db = loadSpecFile(join(EXAMPLES, "db.toml"));
  const app = loadSpecFile(join(EXAMPLES, "app.toml"));
  expect(db.name).toBe("db");
  expect(db.network.mode).toBe("appnet");
  expect(app.network.networks).toEqual(["appnet"]);
  expect(app.env).toEqual({ DB_HOST: "db", DB_PORT: "5432" });
  expect(app.restart).toEqual({ name: "on-failure", maxRetries: 3 });
});

test("minimal.toml", () => {
  const spec = loadSpecFile(join(EXAMPLES, "minimal.toml"));
  expect(spec.command).toEqual(["echo", "hello from ctr"]);
  expect(spec.rootfs).toBe(join(EXAMPLES, "rootfs"));
});
