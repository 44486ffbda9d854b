// ctr login [-u USER] [-p PASS | --password-stdin] [SERVER]: checks the
// credentials against the registry, then saves them for pull.
import { readSync } from "node:fs";
import { isTerminal as isatty } from "../runtime/sys/libc.ts";
import { type Verb, out, parseSimple, usage, write } from "./_shared.ts";
import { stty } from "./_attach.ts";

const HELP = `Usage:  ctr login [OPTIONS] [SERVER]

Log in to a registry (default docker.io). Credentials are kept in
<data root>/auth.json (mode 0600) and used by pull.

Without -u or a password, and stdin a terminal, both are asked for (the
password without echo), as docker login does.

Example:
  echo "$PASS" | ctr login -u alice --password-stdin 127.0.0.1:5000`;

/** One line from the terminal; without echo for a password. */
function prompt(question: string, echo: boolean): string {
  write(1, question);
  const saved = echo ? undefined : stty(["-g"]);
  if (saved) stty(["-echo"]);
  const bytes: number[] = [];
  try {
    const b = Buffer.alloc(1);
    while (readSync(0, b, 0, 1, null) === 1 && b[0] !== 0x0a) bytes.push(b[0]!);
  } finally {
    if (saved) {
      stty([saved]);
      write(1, "\n");
    }
  }
  return Buffer.from(bytes).toString().replace(/\r$/, "");
}

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
  const terminal = isatty(0);
  if (opts["password-stdin"] && opts.password !== undefined) usage("--password and --password-stdin are mutually exclusive");
  if (opts["password-stdin"] && opts.username === undefined) usage("Must provide --username with --password-stdin");
  const user = typeof opts.username === "string" ? opts.username
    : terminal ? prompt("Username: ", true)
    : usage("login: give the username with -u (stdin is not a terminal to ask on)");
  let pass = typeof opts.password === "string" ? opts.password : undefined;
  if (opts["password-stdin"]) pass = (await Bun.stdin.text()).replace(/\r?\n$/, "");
  else if (pass === undefined && terminal) pass = prompt("Password: ", false);
  if (!user) usage("login: the username is empty");
  if (!pass) usage("login: give the password with --password-stdin (or -p)");
  const { checkLogin } = await import("../image/registry.ts");
  const { saveCredentials } = await import("../image/auth.ts");
  await checkLogin(host, { user, pass }, typeof opts["insecure-registry"] === "string" ? [opts["insecure-registry"]] : []);
  saveCredentials(host, { user, pass });
  out("Login Succeeded");
};
export default login;
