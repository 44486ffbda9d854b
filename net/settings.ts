// The part of the host's network settings (net/config.ts) that every
// bridge-mode run needs, without the TOML parser: loading smol-toml costs a
// cold run about 1.4 ms, and most config files need no parsing at a run
// (they only name the bridge and subnets, which the default network's
// record already holds).
import { readFileSync } from "node:fs";

export interface NetConfig {
  bridge: string;
  subnet: string;
  mtu: number;
  pool: string;
  nat: boolean;
  ipForward: boolean;
  /** where it came from, for messages */
  file?: string;
}

export const DEFAULTS: NetConfig = { bridge: "ctr0", subnet: "10.213.0.0/16", mtu: 1500, pool: "10.214.0.0/16", nat: true, ipForward: false };

export const configPath = () => process.env.CTR_CONFIG || "/etc/ctr/ctr.toml";

/**
 * The two keys read at every run (nat, ip_forward) when the file does not
 * mention them (or there is none): the defaults. Undefined when it does:
 * then the file must be parsed (net/config.ts runSettings).
 */
export function quickSettings(path = configPath()): Pick<NetConfig, "nat" | "ipForward"> | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return { nat: DEFAULTS.nat, ipForward: DEFAULTS.ipForward };
  }
  if (mentions(text, "nat") || mentions(text, "ip_forward")) return undefined;
  return { nat: DEFAULTS.nat, ipForward: DEFAULTS.ipForward };
}

/** Does `word` occur in text as a word of its own (what /\bword\b/ matches, without compiling a pattern)? */
export function mentions(text: string, word: string): boolean {
  const wordChar = (c: string | undefined) => c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c === "_");
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
    if (!wordChar(text[i - 1]) && !wordChar(text[i + word.length])) return true;
  }
  return false;
}

/**
 * The host's resolver configuration: what containers' resolv.conf starts
 * from and where a network's DNS server forwards. $CTR_RESOLV_CONF names
 * another file (tests point it at a resolver of their own).
 */
export const hostResolvConfPath = () => process.env.CTR_RESOLV_CONF || "/etc/resolv.conf";
