// ctr's packet rules: one nf_tables table of its own, `table ip ctr`, spoken
// to over netlink (net/nftables/), never the host's own tables or an nft or
// iptables binary. What it holds, as `nft list table ip ctr` prints it:
//
//   chain prerouting  { type nat hook prerouting priority dstnat }   published ports from outside:
//       iifname != BR fib daddr type local meta l4proto tcp th dport 8080 dnat to IP:80
//   chain output      { type nat hook output priority -100 }         published ports from this host
//       ip daddr != 127.0.0.0/8 fib daddr type local ... dnat to IP:80   (loopback stays with the proxy)
//   chain postrouting { type nat hook postrouting priority srcnat }  outbound NAT per endpoint:
//       ip saddr IP oifname != BR masquerade
//   chain forward     { type filter hook forward priority filter }   isolation, as Docker's two stages:
//       iifname BR oifname != BR jump isolate                        (a network's traffic leaving it...)
//       iifname BRI oifname != BRI drop; oifname BRI iifname != BRI drop   (--internal: nothing in or out)
//   chain isolate     { oifname BR drop }                             (...may not enter another network)
//
// Every rule carries a comment naming its owner: "container=<id> net=<netid12>"
// (masquerade), "container=<id> port=<proto>/<hostport>" (DNAT), "network=<netid>"
// (isolation). Rules are added when a container starts (a network's when its
// first container joins) and removed by owner at rm (a network's when its
// last container leaves); when the table holds no rule it is deleted, so a
// host where no container runs carries nothing of ctr's.
import { type Chain, cmd, type Command, dnatTo, encodeBatch, expr, type Expr, match, NF_INET, NFNL_SUBSYS_NFTABLES, NFT_CMP, NFT_MSG, VERDICT } from "./nftables/codec.ts";
import { genOf, Nftables, NftError, type Rule, withNftables } from "./nftables/client.ts";
import type { Message } from "./netlink/codec.ts";
import { NetError } from "./errors.ts";

export type { Rule };

export const TABLE = "ctr";
const ERESTART = 85, ENOENT = 2, EPROTONOSUPPORT = 93;
const NLM_F_ECHO = 0x8, NLM_F_CREATE = 0x400;
const msgType = (t: number) => (NFNL_SUBSYS_NFTABLES << 8) | t;

const CHAINS: Chain[] = [
  { name: "prerouting", base: { type: "nat", hook: NF_INET.PRE_ROUTING, priority: -100 } },
  { name: "output", base: { type: "nat", hook: NF_INET.LOCAL_OUT, priority: -100 } },
  { name: "postrouting", base: { type: "nat", hook: NF_INET.POST_ROUTING, priority: 100 } },
  { name: "forward", base: { type: "filter", hook: NF_INET.FORWARD, priority: 0 } },
  { name: "isolate" },
];

export interface FwRule {
  chain: string;
  exprs: Expr[];
  comment: string;
}

export interface Published {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

const owner = {
  endpoint: (id: string, netId: string) => `container=${id} net=${netId.slice(0, 12)}`,
  port: (id: string, p: Published) => `container=${id} port=${p.protocol}/${p.hostPort}`,
  network: (netId: string) => `network=${netId}`,
};

/** Outbound NAT for one endpoint: its address leaving through anything but its own bridge. */
export function masqueradeRule(id: string, netId: string, ip: string, bridge: string): FwRule {
  return { chain: "postrouting", exprs: [...match.saddr(ip), ...match.oifname(NFT_CMP.NEQ, bridge), expr.masquerade()], comment: owner.endpoint(id, netId) };
}

/**
 * DNAT for one published port: from outside (not from the container's own
 * bridge, whose containers reach the port through the proxy, as with
 * Docker's) and from this host to a non-loopback address of it. A port bound
 * to one address matches that address only; one bound to a loopback or an
 * IPv6 address gets no rule (the proxy serves it).
 */
export function portRules(id: string, ip: string, bridge: string, p: Published): FwRule[] {
  // loopback, and IPv6 (this table is IPv4's): the proxy's alone
  if (p.hostIp.startsWith("127.") || p.hostIp.includes(":")) return [];
  const any = p.hostIp === "0.0.0.0";
  const dest = any ? match.daddrLocal() : match.daddr(p.hostIp);
  const tail = [...match.dport(p.protocol, p.hostPort), ...dnatTo(ip, p.containerPort)];
  const comment = owner.port(id, p);
  return [
    { chain: "prerouting", exprs: [...match.iifname(NFT_CMP.NEQ, bridge), ...dest, ...tail], comment },
    { chain: "output", exprs: [...(any ? match.daddrNotLoopback() : []), ...dest, ...tail], comment },
  ];
}

/** A network's isolation: an --internal one lets nothing in or out; others may not reach another network. */
export function networkRules(netId: string, bridge: string, internal: boolean): FwRule[] {
  const comment = owner.network(netId);
  if (internal) {
    return [
      { chain: "forward", exprs: [...match.iifname(NFT_CMP.EQ, bridge), ...match.oifname(NFT_CMP.NEQ, bridge), expr.verdict(VERDICT.DROP)], comment },
      { chain: "forward", exprs: [...match.oifname(NFT_CMP.EQ, bridge), ...match.iifname(NFT_CMP.NEQ, bridge), expr.verdict(VERDICT.DROP)], comment },
    ];
  }
  return [
    { chain: "forward", exprs: [...match.iifname(NFT_CMP.EQ, bridge), ...match.oifname(NFT_CMP.NEQ, bridge), expr.verdict(VERDICT.JUMP, "isolate")], comment },
    { chain: "isolate", exprs: [...match.oifname(NFT_CMP.EQ, bridge), expr.verdict(VERDICT.DROP)], comment },
  ];
}

/** What a comment says of its owner. */
export function parseOwner(comment: string | undefined): Record<string, string> {
  return Object.fromEntries((comment ?? "").split(" ").map((kv) => kv.split("=") as [string, string]).filter((kv) => kv.length === 2));
}

export const ownedBy = {
  container: (id: string) => (r: Rule) => parseOwner(r.comment).container === id,
  endpoint: (id: string, netId: string) => (r: Rule) => r.comment === owner.endpoint(id, netId),
  network: (netId: string) => (r: Rule) => r.comment === owner.network(netId),
};

/** The error a user sees when the kernel will not take ctr's rules. */
function plainly(e: unknown): never {
  if (e instanceof NftError || (e as { syscall?: string }).syscall === "socket") {
    throw new NetError(`outbound NAT and published ports need nf_tables, and the kernel refused it: ${(e as Error).message}. ` +
      "ctr speaks nf_tables over netlink itself (no nft or iptables binary is used); on a kernel without it set nat = false under [network] in /etc/ctr/ctr.toml");
  }
  throw e;
}

/**
 * Adds rules in one atomic batch, with the table and its chains if they are
 * not there yet. Returns the generation the batch committed if the batch
 * made the table (so every rule in the table is one of these): the caller
 * may then remove them all at once with dropTable.
 */
export function addRules(rules: FwRule[], nft?: Nftables): number | undefined {
  if (rules.length === 0) return undefined;
  const commands = addCommands(rules);
  let notes: Message[];
  try {
    notes = nft ? nft.batch(commands, `table ip ${TABLE}`) : withNftables((n) => n.batch(commands, `table ip ${TABLE}`));
  } catch (e) {
    plainly(e);
  }
  if (!notes.some((m) => m.type === msgType(NFT_MSG.NEWTABLE))) return undefined;
  const gen = notes.find((m) => m.type === msgType(NFT_MSG.NEWGEN));
  return gen && genOf(gen);
}

/** The table (if need be), its chains and the rules: one batch. */
function addCommands(rules: FwRule[]): Command[] {
  // NLM_F_ECHO on the first command: the kernel answers with the table if it made it, and the generation
  return [{ ...cmd.newTable(TABLE), flags: NLM_F_CREATE | NLM_F_ECHO }, ...CHAINS.map((c) => cmd.newChain(TABLE, c)), ...rules.map((r) => cmd.newRule(TABLE, r.chain, r.exprs, r.comment))];
}

/**
 * addRules' batch as bytes, for the monitor to send (plan step NET_NFT,
 * runtime/native/netlink.c): it checks every answer and, when the batch made
 * the table, writes the generation to the container's nft-gen as addRules'
 * caller does. With how many commands answer.
 */
export function rulesBatch(rules: FwRule[], seq = Math.floor(Math.random() * 1e6) * 16): { bytes: Uint8Array; commands: number } | undefined {
  if (rules.length === 0) return undefined;
  const commands = addCommands(rules);
  return { bytes: encodeBatch(commands, seq), commands: commands.length };
}

/** The error a user sees when the monitor's batch (rulesBatch) was refused. */
export function rulesError(errno: number, detail = "nf_tables batch"): NetError {
  try {
    plainly(new NftError(detail, errno, `table ip ${TABLE}`));
  } catch (e) {
    return e as NetError;
  }
}

/**
 * Deletes the whole table if the ruleset is still at generation `gen` (the
 * one addRules returned: nothing but that batch's rules in it), in one
 * batch. False when anything changed since (ERESTART) or the kernel refused:
 * the caller removes its rules one by one instead (removeRules).
 */
export function dropTable(gen: number): boolean {
  try {
    withNftables((nft) => nft.batch([cmd.delTable(TABLE)], `table ip ${TABLE}`, gen));
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the rules `which` selects, and the table once nothing is left in
 * it. When the table would be left empty, the batch carries the generation
 * read before the dump, so if another ctr added a rule meanwhile the kernel
 * refuses it (ERESTART); then only the rules are removed and the table stays
 * for whoever is using it (the last one out deletes it).
 */
export function removeRules(which: (r: Rule) => boolean): number {
  let nft: Nftables;
  try {
    nft = Nftables.open();
  } catch (e) {
    // a kernel without nf_tables holds no rules of ours
    if ((e as { errno?: number }).errno === EPROTONOSUPPORT) return 0;
    throw e;
  }
  try {
    const gen = nft.generation();
    const all = nft.rules(TABLE);
    const gone = all.filter(which);
    const deletes = gone.map((r) => cmd.delRule(TABLE, r.chain, r.handle));
    if (gone.length < all.length) {
      nft.batch(deletes, `table ip ${TABLE}`);
      return gone.length;
    }
    try {
      nft.batch([...deletes, cmd.delTable(TABLE)], `table ip ${TABLE}`, gen);
    } catch (e) {
      if (e instanceof NftError && e.errno === ERESTART) nft.batch(deletes, `table ip ${TABLE}`);
      else if (!(e instanceof NftError && e.errno === ENOENT && all.length === 0)) throw e; // no table: nothing to do
    }
    return gone.length;
  } catch (e) {
    plainly(e);
  } finally {
    nft.close();
  }
}

/** Every rule in ctr's table (for tests), and whether the table exists at all. */
export function listRules(): Rule[] {
  return withNftables((nft) => nft.rules(TABLE));
}
export function tableExists(): boolean {
  return withNftables((nft) => nft.hasTable(TABLE));
}

/** Whether this kernel answers nf_tables over netlink (for `ctr version`): "yes", or why not. */
export function nftablesStatus(): string {
  try {
    withNftables((nft) => nft.generation());
    return "yes";
  } catch (e) {
    return `no (${(e as Error).message})`;
  }
}
