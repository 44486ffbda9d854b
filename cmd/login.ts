// ctr login [-u USER] [-p PASS | --password-stdin] [SERVER]: checks the
// credentials against the registry, then saves them for pull.
import { type Verb, out, parseSimple, usage } from "./_shared.ts";

const HELP = `Usage:  ctr login [OPTIONS] [SERVER]

Log in to a registry (default docker.io). Credentials are kept in
<data root>/auth.json (mode 0600) and used by pull.

Example:
  echo "$PASS" | ctr login -u alice --password-stdin 127.0.0.1:5000`;

/** As Docker keys them: host[:port], Docker Hub as docker.io. */
export function registryHost(s: string | undefined): string {
  const h = (s ?? "docker.io").replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return ["index.docker.io", "registry-1.docker.io"].includes(h) ? "docker.io" : h;
}

const login: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, [
    { name: "username", short: "u", value: true, help: "Username" },
    { name: "password", short: "p", value: true, help: "Password" },
    { name: "password-stdin", help: "Take the password from stdin" },
    { name: "insecure-registry", value: true, help: "Talk plain HTTP to this registry host[:port]" },
  ], HELP);
  if (positionals.length > 1) usage(`"login" requires at most 1 argument.`);
  const host = registryHost(positionals[0]);
  const user = typeof opts.username === "string" ? opts.username : usage("login: give the username with -u (prompting is not supported)");
  let pass = typeof opts.password === "string" ? opts.password : undefined;
  if (opts["password-stdin"]) {
    if (pass !== undefined) usage("--password and --password-stdin are mutually exclusive");
    pass = (await Bun.stdin.text()).replace(/\r?\n$/, "");
  }
  if (!pass) usage("login: give the password with --password-stdin (or -p)");
  const { checkLogin } = await import("../image/registry.ts");
  const { saveCredentials } = await import("../image/auth.ts");
  await checkLogin(host, { user, pass }, typeof opts["insecure-registry"] === "string" ? [opts["insecure-registry"]] : []);
  saveCredentials(host, { user, pass });
  out("Login Succeeded");
};
export default login;
