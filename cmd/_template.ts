/**
 * A small, faithful subset of Go's text/template, as Docker's CLI uses it for
 * `--format`.
 *
 * Data is plain JSON-like JavaScript: objects behave like Go's
 * map[string]interface{} (fields are looked up by key and print as `map[k:v]`),
 * arrays like []interface{}, numbers like int when they are integers and float64
 * otherwise, and undefined/null like nil.
 *
 * Messages copy Go's wording and positions (line, and 0-based UTF-8 byte column
 * for execution errors) so that they read like Docker's.
 */

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/** A template could not be parsed or executed. The message is one line. */
export class TemplateError extends Error {
  override readonly name = "TemplateError";
  /** 1-based line of the offending token or node. */
  readonly line: number;
  /** 0-based UTF-8 byte column (as Go reports it); undefined for parse errors. */
  readonly column: number | undefined;

  constructor(message: string, line: number, column: number | undefined) {
    super(message);
    this.line = line;
    this.column = column;
  }
}

export interface TemplateOptions {
  /**
   * What a missing map key evaluates to. "default" (Go's default) gives nil,
   * which prints as `<no value>`; "error" (Go's `missingkey=error`, which
   * Docker's inspect uses on its raw-JSON fallback) throws
   * `map has no entry for key "Foo"`.
   */
  missingKey?: "default" | "error";
}

/** A parsed template, to execute against many values. */
export class Template {
  readonly source: string;
  private readonly root: Node[];

  constructor(source: string) {
    this.source = source;
    this.root = new Parser(source).parse();
  }

  execute(data: unknown, options: TemplateOptions = {}): string {
    const state = new State(this.source, data, options.missingKey === "error");
    state.walk(data, this.root);
    return state.out.join("");
  }
}

/** Parse a template; throws TemplateError on a syntax error. */
export function parseTemplate(tpl: string): Template {
  return new Template(tpl);
}

/** Parse and execute `tpl` against `data`; throws TemplateError. */
export function renderTemplate(tpl: string, data: unknown, options?: TemplateOptions): string {
  return new Template(tpl).execute(data, options);
}

/**
 * Docker's CLI turns the two-character sequences `\t` and `\n` of a --format
 * string into a tab and a newline before parsing it. Apply this first.
 */
export function expandEscapes(s: string): string {
  return s.replace(/\\([tn])/g, (_m, c: string) => (c === "t" ? "\t" : "\n"));
}

/** Names of the functions templates may call. */
export function templateFunctionNames(): string[] {
  return [...FUNCS.keys()].sort();
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

const isSpaceCh = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\r" || c === "\n";

function isAlnumCp(cp: number): boolean {
  if (cp === 95) return true; // _
  if (cp < 0x80) return (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
  return /[\p{L}\p{Nd}]/u.test(String.fromCodePoint(cp));
}

function utf8Len(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

const runeCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** fmt's %#U: `U+0040 '@'`. */
function fmtU(cp: number): string {
  const u = "U+" + cp.toString(16).toUpperCase().padStart(4, "0");
  return isPrintCp(cp) ? `${u} '${String.fromCodePoint(cp)}'` : u;
}

function isPrintCp(cp: number): boolean {
  if (cp === 0x20) return true;
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp < 0x7f) return true;
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(cp));
}

/** strconv.Quote (or QuoteRune with quote `'`). */
function goQuote(s: string, quote: '"' | "'" = '"'): string {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === "\\") {
      out += "\\" + ch;
      continue;
    }
    if (isPrintCp(cp) && !(cp >= 0xd800 && cp <= 0xdfff)) {
      out += ch;
      continue;
    }
    switch (ch) {
      case "\x07": out += "\\a"; break;
      case "\b": out += "\\b"; break;
      case "\f": out += "\\f"; break;
      case "\n": out += "\\n"; break;
      case "\r": out += "\\r"; break;
      case "\t": out += "\\t"; break;
      case "\v": out += "\\v"; break;
      default:
        if (cp < 0x20 || cp === 0x7f) out += "\\x" + hex(cp, 2);
        else if (cp >= 0xd800 && cp <= 0xdfff) out += "\\ufffd";
        else if (cp < 0x10000) out += "\\u" + hex(cp, 4);
        else out += "\\U" + hex(cp, 8);
    }
  }
  return out + quote;
}

interface Location {
  line: number;
  col: number;
}

function locate(src: string, pos: number): Location {
  const before = src.slice(0, pos);
  const nl = before.lastIndexOf("\n");
  let line = 1;
  for (let i = before.indexOf("\n"); i >= 0; i = before.indexOf("\n", i + 1)) line++;
  return { line, col: utf8Len(before.slice(nl + 1)) };
}

// ---------------------------------------------------------------------------
// Lexer (mirrors text/template/parse/lex.go)
// ---------------------------------------------------------------------------

type ItemType =
  | "error" | "bool" | "char" | "charConstant" | "assign" | "declare" | "eof" | "field"
  | "identifier" | "leftDelim" | "leftParen" | "number" | "pipe" | "rawString"
  | "rightDelim" | "rightParen" | "space" | "string" | "text" | "variable"
  // keywords
  | "block" | "break" | "continue" | "dot" | "define" | "else" | "end" | "if" | "nil"
  | "range" | "template" | "with";

const KEYWORDS = new Map<string, ItemType>([
  [".", "dot"], ["block", "block"], ["break", "break"], ["continue", "continue"],
  ["define", "define"], ["else", "else"], ["end", "end"], ["if", "if"], ["nil", "nil"],
  ["range", "range"], ["template", "template"], ["with", "with"],
]);
const KEYWORD_TYPES = new Set<ItemType>(KEYWORDS.values());

interface Item {
  typ: ItemType;
  val: string;
  pos: number;
}

function itemString(it: Item): string {
  if (it.typ === "eof") return "EOF";
  if (it.typ === "error") return it.val;
  if (KEYWORD_TYPES.has(it.typ)) return `<${it.val}>`;
  if (utf8Len(it.val) > 10) return goQuote(Array.from(it.val).slice(0, 10).join("")) + "...";
  return goQuote(it.val);
}

class Lexer {
  private pos = 0;
  private readonly queue: Item[] = [];
  private mode: "text" | "action" | "done" = "text";
  private parenDepth = 0;

  constructor(private readonly input: string) {}

  next(): Item {
    for (;;) {
      const it = this.queue.shift();
      if (it) return it;
      if (this.mode === "done") return { typ: "eof", val: "", pos: this.input.length };
      if (this.mode === "text") this.lexText();
      else this.lexInsideAction();
    }
  }

  private emit(typ: ItemType, pos: number, val: string): void {
    this.queue.push({ typ, val, pos });
  }

  private errorf(pos: number, msg: string): void {
    this.queue.push({ typ: "error", val: msg, pos });
    this.mode = "done";
  }

  private cpAt(p: number): number {
    return this.input.codePointAt(p) ?? -1;
  }

  private atRightDelim(p: number): { delim: boolean; trim: boolean } {
    const s = this.input;
    if (isSpaceCh(s[p]) && s[p + 1] === "-" && s.startsWith("}}", p + 2)) return { delim: true, trim: true };
    return { delim: s.startsWith("}}", p), trim: false };
  }

  private atTerminator(p: number): boolean {
    const c = this.input[p];
    if (c === undefined || isSpaceCh(c)) return true;
    if (".,|:)(".includes(c)) return true;
    return this.input.startsWith("}}", p);
  }

  private lexText(): void {
    const s = this.input;
    const x = s.indexOf("{{", this.pos);
    if (x < 0) {
      if (this.pos < s.length) this.emit("text", this.pos, s.slice(this.pos));
      this.pos = s.length;
      this.emit("eof", this.pos, "");
      this.mode = "done";
      return;
    }
    const delimEnd = x + 2;
    const trim = s[delimEnd] === "-" && isSpaceCh(s[delimEnd + 1]);
    let textEnd = x;
    if (trim) while (textEnd > this.pos && isSpaceCh(s[textEnd - 1])) textEnd--;
    if (textEnd > this.pos) this.emit("text", this.pos, s.slice(this.pos, textEnd));
    let p = delimEnd + (trim ? 2 : 0);
    if (s.startsWith("/*", p)) {
      const end = s.indexOf("*/", p + 2);
      if (end < 0) return this.errorf(p, "unclosed comment");
      p = end + 2;
      const rd = this.atRightDelim(p);
      if (!rd.delim) return this.errorf(p, "comment ends before closing delimiter");
      p += (rd.trim ? 2 : 0) + 2;
      if (rd.trim) while (p < s.length && isSpaceCh(s[p])) p++;
      this.pos = p;
      return;
    }
    this.emit("leftDelim", x, "{{");
    this.pos = p;
    this.parenDepth = 0;
    this.mode = "action";
  }

  private lexInsideAction(): void {
    const s = this.input;
    const rd = this.atRightDelim(this.pos);
    if (rd.delim) {
      if (this.parenDepth !== 0) return this.errorf(this.pos, "unclosed left paren");
      let p = this.pos + (rd.trim ? 2 : 0);
      this.emit("rightDelim", p, "}}");
      p += 2;
      if (rd.trim) while (p < s.length && isSpaceCh(s[p])) p++;
      this.pos = p;
      this.mode = "text";
      return;
    }
    const start = this.pos;
    const c = s[start];
    if (c === undefined) return this.errorf(start, "unclosed action");
    if (isSpaceCh(c)) {
      let p = start;
      while (isSpaceCh(s[p])) p++;
      // A trim-marked closing delimiter " -}}" owns the last space.
      if (s[p] === "-" && s.startsWith("}}", p + 1)) {
        p--;
        if (p === start) return; // next step lexes the delimiter
      }
      this.emit("space", start, s.slice(start, p));
      this.pos = p;
      return;
    }
    switch (c) {
      case "=":
        this.pos++;
        return this.emit("assign", start, "=");
      case ":":
        if (s[start + 1] !== "=") return this.errorf(start, "expected :=");
        this.pos += 2;
        return this.emit("declare", start, ":=");
      case "|":
        this.pos++;
        return this.emit("pipe", start, "|");
      case '"':
        return this.lexQuote(start);
      case "`": {
        const end = s.indexOf("`", start + 1);
        if (end < 0) return this.errorf(start, "unterminated raw quoted string");
        this.pos = end + 1;
        return this.emit("rawString", start, s.slice(start, end + 1));
      }
      case "$":
        return this.lexFieldOrVariable(start, "variable");
      case "'":
        return this.lexChar(start);
      case "(":
        this.parenDepth++;
        this.pos++;
        return this.emit("leftParen", start, "(");
      case ")":
        this.parenDepth--;
        if (this.parenDepth < 0) return this.errorf(start, "unexpected right paren");
        this.pos++;
        return this.emit("rightParen", start, ")");
    }
    if (c === ".") {
      const n = s[start + 1];
      if (n === undefined || n < "0" || n > "9") return this.lexFieldOrVariable(start, "field");
    }
    if (c === "." || c === "+" || c === "-" || (c >= "0" && c <= "9")) return this.lexNumber(start);
    const cp = this.cpAt(start);
    if (isAlnumCp(cp)) return this.lexIdentifier(start);
    if (cp > 0x20 && cp < 0x7f) {
      this.pos++;
      return this.emit("char", start, c);
    }
    return this.errorf(start, `unrecognized character in action: ${fmtU(cp)}`);
  }

  private scanAlnum(p: number): number {
    for (;;) {
      const cp = this.cpAt(p);
      if (cp < 0 || !isAlnumCp(cp)) return p;
      p += cp > 0xffff ? 2 : 1;
    }
  }

  private lexFieldOrVariable(start: number, typ: "field" | "variable"): void {
    if (this.atTerminator(start + 1)) {
      this.pos = start + 1;
      return this.emit(typ === "variable" ? "variable" : "dot", start, this.input[start] ?? "");
    }
    const p = this.scanAlnum(start + 1);
    if (!this.atTerminator(p)) return this.errorf(p, `bad character ${fmtU(this.cpAt(p))}`);
    this.pos = p;
    this.emit(typ, start, this.input.slice(start, p));
  }

  private lexIdentifier(start: number): void {
    const p = this.scanAlnum(start);
    if (!this.atTerminator(p)) return this.errorf(p, `bad character ${fmtU(this.cpAt(p))}`);
    const word = this.input.slice(start, p);
    this.pos = p;
    const kw = KEYWORDS.get(word);
    if (kw) return this.emit(kw, start, word);
    if (word === "true" || word === "false") return this.emit("bool", start, word);
    this.emit("identifier", start, word);
  }

  private lexQuote(start: number): void {
    const s = this.input;
    let p = start + 1;
    for (;;) {
      const c = s[p];
      if (c === "\\") {
        p++;
        const e = s[p];
        if (e !== undefined && e !== "\n") {
          p++;
          continue;
        }
        return this.errorf(start, "unterminated quoted string");
      }
      if (c === undefined || c === "\n") return this.errorf(start, "unterminated quoted string");
      p++;
      if (c === '"') break;
    }
    this.pos = p;
    this.emit("string", start, s.slice(start, p));
  }

  private lexChar(start: number): void {
    const s = this.input;
    let p = start + 1;
    for (;;) {
      const c = s[p];
      if (c === "\\") {
        p++;
        const e = s[p];
        if (e !== undefined && e !== "\n") {
          p++;
          continue;
        }
        return this.errorf(start, "unterminated character constant");
      }
      if (c === undefined || c === "\n") return this.errorf(start, "unterminated character constant");
      p++;
      if (c === "'") break;
    }
    this.pos = p;
    this.emit("charConstant", start, s.slice(start, p));
  }

  private lexNumber(start: number): void {
    const s = this.input;
    let p = start;
    const accept = (chars: string): boolean => {
      const c = s[p];
      if (c !== undefined && chars.includes(c)) {
        p++;
        return true;
      }
      return false;
    };
    const acceptRun = (chars: string): void => {
      while (accept(chars));
    };
    accept("+-");
    let digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) digits = "0123456789abcdefABCDEF_";
      else if (accept("oO")) digits = "01234567_";
      else if (accept("bB")) digits = "01_";
    }
    acceptRun(digits);
    if (accept(".")) acceptRun(digits);
    if (digits.length === 11 && accept("eE")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    if (digits.length === 23 && accept("pP")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    accept("i");
    const cp = this.cpAt(p);
    if (cp >= 0 && isAlnumCp(cp)) {
      p += cp > 0xffff ? 2 : 1;
      return this.errorf(start, `bad number syntax: ${goQuote(s.slice(start, p))}`);
    }
    this.pos = p;
    this.emit("number", start, s.slice(start, p));
  }
}

// ---------------------------------------------------------------------------
// Parse tree
// ---------------------------------------------------------------------------

interface FieldNode { type: "field"; pos: number; ident: string[] }
interface VariableNode { type: "variable"; pos: number; ident: string[] }
interface ChainNode { type: "chain"; pos: number; node: ArgNode; field: string[] }
interface IdentifierNode { type: "identifier"; pos: number; name: string }
interface DotNode { type: "dot"; pos: number }
interface NilNode { type: "nil"; pos: number }
interface BoolNode { type: "bool"; pos: number; value: boolean }
interface NumberNode { type: "number"; pos: number; value: number; text: string }
interface StringNode { type: "string"; pos: number; value: string; quoted: string }
interface PipeNode { type: "pipe"; pos: number; isAssign: boolean; decl: VariableNode[]; cmds: CommandNode[] }
interface CommandNode { type: "command"; pos: number; args: ArgNode[] }

type ArgNode =
  | FieldNode | VariableNode | ChainNode | IdentifierNode | DotNode | NilNode
  | BoolNode | NumberNode | StringNode | PipeNode;

interface TextNode { type: "text"; text: string }
interface ActionNode { type: "action"; pos: number; pipe: PipeNode }
interface BranchNode { type: "if" | "with" | "range"; pos: number; pipe: PipeNode; list: Node[]; elseList: Node[] | null }
interface LoopControlNode { type: "break" | "continue"; pos: number }

type Node = TextNode | ActionNode | BranchNode | LoopControlNode;
type ParsedNode = Node | { type: "end" } | { type: "else" };

/** Anything execution can point an error at. */
type PosNode = ArgNode | CommandNode | ActionNode | BranchNode | LoopControlNode;

const fieldsString = (fields: string[]): string => fields.map((f) => "." + f).join("");

function argString(n: ArgNode): string {
  switch (n.type) {
    case "field": return fieldsString(n.ident);
    case "variable": return (n.ident[0] ?? "") + fieldsString(n.ident.slice(1));
    case "chain": return (n.node.type === "pipe" ? `(${pipeString(n.node)})` : argString(n.node)) + fieldsString(n.field);
    case "identifier": return n.name;
    case "dot": return ".";
    case "nil": return "nil";
    case "bool": return String(n.value);
    case "number": return n.text;
    case "string": return n.quoted;
    case "pipe": return pipeString(n);
  }
}

function commandString(c: CommandNode): string {
  return c.args.map((a) => (a.type === "pipe" ? `(${pipeString(a)})` : argString(a))).join(" ");
}

function pipeString(p: PipeNode): string {
  const decl = p.decl.length > 0 ? p.decl.map(argString).join(", ") + (p.isAssign ? " = " : " := ") : "";
  return decl + p.cmds.map(commandString).join(" | ");
}

function nodeString(n: PosNode): string {
  switch (n.type) {
    case "command": return commandString(n);
    case "action": return `{{${pipeString(n.pipe)}}}`;
    case "if": case "with": case "range": return `{{${n.type} ${pipeString(n.pipe)}}}`;
    case "break": case "continue": return `{{${n.type}}}`;
    default: return argString(n);
  }
}

// ---------------------------------------------------------------------------
// Parser (mirrors text/template/parse/parse.go)
// ---------------------------------------------------------------------------

function parseGoNumber(text: string): number | null {
  let s = text;
  let sign = 1;
  if (s.startsWith("+") || s.startsWith("-")) {
    if (s.startsWith("-")) sign = -1;
    s = s.slice(1);
  }
  s = s.replace(/_/g, "");
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s) || /^0[bB][01]+$/.test(s) || /^0[oO][0-7]+$/.test(s)) v = Number(s);
  else if (/^0[0-7]+$/.test(s)) v = parseInt(s, 8);
  else if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) v = Number(s);
  else return null;
  return sign * v;
}

/** Decode the body of a Go interpreted string or rune literal (strconv rules). */
function unquoteBody(body: string, quote: '"' | "'"): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  const pushCp = (cp: number): void => {
    for (const b of enc.encode(String.fromCodePoint(cp))) bytes.push(b);
  };
  const hexDigits = (from: number, n: number): number => {
    const h = body.slice(from, from + n);
    if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) throw new Error("invalid syntax");
    return parseInt(h, 16);
  };
  let i = 0;
  while (i < body.length) {
    const cp = body.codePointAt(i) ?? 0;
    if (cp !== 92) {
      if (String.fromCodePoint(cp) === quote) throw new Error("invalid syntax");
      pushCp(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1];
    i += 2;
    switch (e) {
      case "a": bytes.push(7); break;
      case "b": bytes.push(8); break;
      case "f": bytes.push(12); break;
      case "n": bytes.push(10); break;
      case "r": bytes.push(13); break;
      case "t": bytes.push(9); break;
      case "v": bytes.push(11); break;
      case "\\": bytes.push(92); break;
      case '"': case "'":
        if (e !== quote) throw new Error("invalid syntax");
        bytes.push(e.charCodeAt(0));
        break;
      case "x":
        bytes.push(hexDigits(i, 2));
        i += 2;
        break;
      case "u": case "U": {
        const n = e === "u" ? 4 : 8;
        const v = hexDigits(i, n);
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new Error("invalid syntax");
        pushCp(v);
        i += n;
        break;
      }
      default: {
        const oct = (e ?? "") + body.slice(i, i + 2);
        if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) throw new Error("invalid syntax");
        bytes.push(parseInt(oct, 8));
        i += 2;
      }
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

class Parser {
  private readonly lex: Lexer;
  private readonly toks: Item[] = [];
  private i = 0;
  private vars: string[] = ["$"];
  private rangeDepth = 0;
  private actionLine = 0;

  constructor(private readonly src: string) {
    this.lex = new Lexer(src);
  }

  // --- token stream -------------------------------------------------------

  private next(): Item {
    let t = this.toks[this.i];
    if (!t) {
      t = this.lex.next();
      this.toks.push(t);
    }
    this.i++;
    return t;
  }

  private backup(): void {
    this.i--;
  }

  private peek(): Item {
    const t = this.next();
    this.backup();
    return t;
  }

  private nextNonSpace(): Item {
    let t = this.next();
    while (t.typ === "space") t = this.next();
    return t;
  }

  private peekNonSpace(): Item {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  private lineOf(pos: number): number {
    return locate(this.src, pos).line;
  }

  private errorf(msg: string): never {
    const last = this.toks[this.toks.length - 1];
    const line = this.lineOf(last ? last.pos : 0);
    throw new TemplateError(`template: :${line}: ${msg}`, line, undefined);
  }

  private unexpected(tok: Item, context: string): never {
    if (tok.typ === "error") {
      let extra = "";
      if (this.actionLine !== 0 && this.actionLine !== this.lineOf(tok.pos)) {
        extra = ` in action started at :${this.actionLine}`;
        if (tok.val.endsWith(" action")) extra = extra.slice(" in action".length);
      }
      this.errorf(tok.val + extra);
    }
    this.errorf(`unexpected ${itemString(tok)} in ${context}`);
  }

  private expect(typ: ItemType, context: string): Item {
    const t = this.nextNonSpace();
    if (t.typ !== typ) this.unexpected(t, context);
    return t;
  }

  // --- grammar ------------------------------------------------------------

  parse(): Node[] {
    const root: Node[] = [];
    while (this.peek().typ !== "eof") {
      const n = this.textOrAction();
      if (n.type === "end" || n.type === "else") this.errorf(`unexpected {{${n.type}}}`);
      root.push(n);
    }
    return root;
  }

  private textOrAction(): ParsedNode {
    const tok = this.nextNonSpace();
    switch (tok.typ) {
      case "text":
        return { type: "text", text: tok.val };
      case "leftDelim":
        this.actionLine = this.lineOf(tok.pos);
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      default:
        this.unexpected(tok, "input");
    }
  }

  private action(): ParsedNode {
    const tok = this.nextNonSpace();
    switch (tok.typ) {
      case "block": case "define": case "template":
        this.errorf(`{{${tok.val}}} is not supported`);
      case "break": case "continue": {
        const t = this.nextNonSpace();
        if (t.typ !== "rightDelim") this.unexpected(t, `{{${tok.val}}}`);
        if (this.rangeDepth === 0) this.errorf(`{{${tok.val}}} outside {{range}}`);
        return { type: tok.typ, pos: tok.pos };
      }
      case "else": {
        const peek = this.peekNonSpace();
        if (peek.typ !== "if" && peek.typ !== "with") this.expect("rightDelim", "else");
        return { type: "else" };
      }
      case "end":
        this.expect("rightDelim", "end");
        return { type: "end" };
      case "if": case "with": case "range":
        return this.control(tok.typ, tok.pos);
    }
    this.backup();
    return { type: "action", pos: tok.pos, pipe: this.pipeline("command", "rightDelim") };
  }

  private control(context: "if" | "with" | "range", pos: number): BranchNode {
    const varsLen = this.vars.length;
    try {
      const pipe = this.pipeline(context, "rightDelim");
      if (context === "range") this.rangeDepth++;
      let [list, next] = this.itemList();
      if (context === "range") this.rangeDepth--;
      let elseList: Node[] | null = null;
      if (next.type === "else") {
        const peek = this.peek().typ;
        if (context !== "range" && peek === context) {
          // {{else if x}} / {{else with x}}: a nested control owning the {{end}}.
          const t = this.next();
          elseList = [this.control(context, t.pos)];
        } else {
          [elseList, next] = this.itemList();
          if (next.type !== "end") this.errorf(`expected end; found {{${next.type}}}`);
        }
      }
      return { type: context, pos, pipe, list, elseList };
    } finally {
      this.vars.length = varsLen;
    }
  }

  private itemList(): [Node[], ParsedNode] {
    const list: Node[] = [];
    while (this.peekNonSpace().typ !== "eof") {
      const n = this.textOrAction();
      if (n.type === "end" || n.type === "else") return [list, n];
      list.push(n);
    }
    this.errorf("unexpected EOF");
  }

  private pipeline(context: string, end: "rightDelim" | "rightParen"): PipeNode {
    const first = this.peekNonSpace();
    const pipe: PipeNode = { type: "pipe", pos: first.pos, isAssign: false, decl: [], cmds: [] };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== "variable") break;
      const save = this.i;
      this.next();
      const nxt = this.peekNonSpace();
      if (nxt.typ === "assign" || nxt.typ === "declare") {
        pipe.isAssign = nxt.typ === "assign";
        this.nextNonSpace();
        pipe.decl.push({ type: "variable", pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
      } else if (nxt.typ === "char" && nxt.val === ",") {
        this.nextNonSpace();
        pipe.decl.push({ type: "variable", pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        if (context === "range" && pipe.decl.length < 2) {
          const pk = this.peekNonSpace().typ;
          if (pk === "variable" || pk === "rightDelim" || pk === "rightParen") continue;
          this.errorf("range can only initialize variables");
        }
        this.errorf(`too many declarations in ${context}`);
      } else {
        this.i = save;
      }
      break;
    }
    for (;;) {
      const tok = this.nextNonSpace();
      if (tok.typ === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (tok.typ) {
        case "bool": case "charConstant": case "dot": case "field": case "identifier": case "number":
        case "nil": case "rawString": case "string": case "variable": case "leftParen":
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(tok, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0]?.type;
      if (t === "bool" || t === "dot" || t === "nil" || t === "number" || t === "string") {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: "command", pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const op = this.operand();
      if (op) cmd.args.push(op);
      const tok = this.next();
      if (tok.typ === "space") continue;
      if (tok.typ === "rightDelim" || tok.typ === "rightParen") this.backup();
      else if (tok.typ !== "pipe") this.unexpected(tok, "operand");
      break;
    }
    if (cmd.args.length === 0) this.errorf("empty command");
    return cmd;
  }

  private operand(): ArgNode | null {
    const node = this.term();
    if (!node) return null;
    if (this.peek().typ !== "field") return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().typ === "field") fields.push(this.next().val.slice(1));
    switch (node.type) {
      case "field": return { type: "field", pos, ident: [...node.ident, ...fields] };
      case "variable": return { type: "variable", pos, ident: [...node.ident, ...fields] };
      case "bool": case "string": case "number": case "nil": case "dot":
        this.errorf(`unexpected . after term ${goQuote(argString(node))}`);
      default:
        return { type: "chain", pos, node, field: fields };
    }
  }

  private term(): ArgNode | null {
    const tok = this.nextNonSpace();
    switch (tok.typ) {
      case "error":
        this.unexpected(tok, "operand");
      case "identifier":
        if (!FUNCS.has(tok.val)) this.errorf(`function ${goQuote(tok.val)} not defined`);
        return { type: "identifier", pos: tok.pos, name: tok.val };
      case "dot":
        return { type: "dot", pos: tok.pos };
      case "nil":
        return { type: "nil", pos: tok.pos };
      case "variable":
        if (!this.vars.includes(tok.val)) this.errorf(`undefined variable ${goQuote(tok.val)}`);
        return { type: "variable", pos: tok.pos, ident: [tok.val] };
      case "field":
        return { type: "field", pos: tok.pos, ident: [tok.val.slice(1)] };
      case "bool":
        return { type: "bool", pos: tok.pos, value: tok.val === "true" };
      case "charConstant": {
        let s: string;
        try {
          s = unquoteBody(tok.val.slice(1, -1), "'");
        } catch {
          this.errorf(`malformed character constant: ${tok.val}`);
        }
        const cps = Array.from(s);
        if (cps.length !== 1) this.errorf(`malformed character constant: ${tok.val}`);
        return { type: "number", pos: tok.pos, value: s.codePointAt(0) ?? 0, text: tok.val };
      }
      case "number": {
        if (tok.val.endsWith("i")) this.errorf(`complex numbers are not supported: ${goQuote(tok.val)}`);
        const v = parseGoNumber(tok.val);
        if (v === null) this.errorf(`illegal number syntax: ${goQuote(tok.val)}`);
        return { type: "number", pos: tok.pos, value: v, text: tok.val };
      }
      case "leftParen":
        return this.pipeline("parenthesized pipeline", "rightParen");
      case "string": {
        let value: string;
        try {
          value = unquoteBody(tok.val.slice(1, -1), '"');
        } catch {
          this.errorf("invalid syntax");
        }
        return { type: "string", pos: tok.pos, value, quoted: tok.val };
      }
      case "rawString":
        return { type: "string", pos: tok.pos, value: tok.val.slice(1, -1).replace(/\r/g, ""), quoted: tok.val };
    }
    this.backup();
    return null;
  }
}

// ---------------------------------------------------------------------------
// Values: how JavaScript data maps onto Go's kinds
// ---------------------------------------------------------------------------

type Kind = "nil" | "bool" | "int" | "float" | "string" | "slice" | "map";

function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case "string": return "string";
    case "boolean": return "bool";
    case "number": return Number.isInteger(v) && Math.abs(v) < 9.2e18 ? "int" : "float";
    case "bigint": return "int";
    case "object":
      if (v === null) return "nil";
      return Array.isArray(v) ? "slice" : "map";
    default: return "nil";
  }
}

const isNil = (v: unknown): boolean => kindOf(v) === "nil";

function goTypeName(v: unknown): string {
  switch (kindOf(v)) {
    case "nil": return "<nil>";
    case "bool": return "bool";
    case "int": return "int";
    case "float": return "float64";
    case "string": return "string";
    case "slice": return "[]interface {}";
    case "map": return "map[string]interface {}";
  }
}

type Obj = Record<string, unknown>;

function mapGet(obj: object, key: string): unknown {
  return Object.hasOwn(obj, key) ? (obj as Obj)[key] : undefined;
}

/** Keys of a JS object seen as a Go map, sorted as fmt and range do. */
function mapKeys(obj: object): string[] {
  return Object.keys(obj).filter((k) => (obj as Obj)[k] !== undefined).sort();
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case "nil": return false;
    case "bool": return v === true;
    case "int": case "float": return typeof v === "bigint" ? v !== 0n : v !== 0;
    case "string": return (v as string).length > 0;
    case "slice": return (v as unknown[]).length > 0;
    case "map": return mapKeys(v as object).length > 0;
  }
}

// ---------------------------------------------------------------------------
// fmt: the parts of Go's fmt that templates reach (Sprint, Sprintln, Sprintf)
// ---------------------------------------------------------------------------

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

const plainSpec = (): Spec => ({
  minus: false, plus: false, sharp: false, space: false, zero: false, width: undefined, prec: undefined,
});
const PLAIN: Spec = plainSpec();

function pad(s: string, spec: Spec, zeroOK = true): string {
  const w = spec.width;
  if (w === undefined) return s;
  const n = runeCount(s);
  if (n >= w) return s;
  if (spec.minus) return s + " ".repeat(w - n);
  return (spec.zero && zeroOK ? "0" : " ").repeat(w - n) + s;
}

/** Format a number's absolute value like Go's strconv, returning digits and decimal point. */
function decimalDigits(x: number, sig: number | undefined): { digits: string; dp: number } {
  if (x === 0) return { digits: "0", dp: 1 };
  const e = sig === undefined ? x.toExponential() : x.toExponential(Math.max(sig - 1, 0));
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e);
  if (!m) return { digits: "0", dp: 1 };
  const digits = ((m[1] ?? "") + (m[2] ?? "")).replace(/0+$/, "") || "0";
  return { digits, dp: Number(m[3]) + 1 };
}

function expString(exp: number): string {
  return (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
}

/** %g (prec undefined = shortest, as %v uses it) of a non-negative finite number. */
function formatG(x: number, prec: number | undefined, upper: boolean): string {
  let p = prec;
  if (p === 0) p = 1;
  const { digits, dp } = decimalDigits(x, p);
  const nd = digits.length;
  let eprec: number;
  if (p === undefined) eprec = 6;
  else eprec = p > nd && nd >= dp ? nd : p;
  const exp = dp - 1;
  if (x !== 0 && (exp < -4 || exp >= eprec)) {
    const mant = digits.slice(0, 1) + (nd > 1 ? "." + digits.slice(1) : "");
    return mant + (upper ? "E" : "e") + expString(exp);
  }
  if (x === 0) return "0";
  if (dp <= 0) return "0." + "0".repeat(-dp) + digits;
  if (dp >= nd) return digits + "0".repeat(dp - nd);
  return digits.slice(0, dp) + "." + digits.slice(dp);
}

function formatE(x: number, prec: number, upper: boolean): string {
  const s = x.toExponential(prec).replace(/e([+-])(\d)$/, "e$10$2");
  return upper ? s.toUpperCase() : s;
}

function formatF(x: number, prec: number): string {
  if (x < 1e21) return x.toFixed(prec);
  return BigInt(x).toString() + (prec > 0 ? "." + "0".repeat(prec) : "");
}

function fmtFloat(v: number, verb: string, spec: Spec): string | null {
  let body: string;
  const neg = v < 0 || Object.is(v, -0);
  const x = Math.abs(v);
  if (Number.isNaN(v)) body = "NaN";
  else if (!Number.isFinite(v)) body = "Inf";
  else {
    switch (verb) {
      case "v": body = formatG(x, undefined, false); break;
      case "g": case "G": body = formatG(x, spec.prec, verb === "G"); break;
      case "e": case "E": body = formatE(x, spec.prec ?? 6, verb === "E"); break;
      case "f": case "F": body = formatF(x, spec.prec ?? 6); break;
      default: return null;
    }
  }
  let sign = neg && !Number.isNaN(v) ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  if (body === "Inf" && sign === "") sign = "+";
  if (body === "NaN" || body === "Inf") return pad(sign + body, spec, false);
  if (spec.zero && !spec.minus && spec.width !== undefined) {
    const n = sign.length + body.length;
    if (spec.width > n) return sign + "0".repeat(spec.width - n) + body;
  }
  return pad(sign + body, spec);
}

function fmtInt(v: number | bigint, verb: string, spec: Spec): string | null {
  const big = typeof v === "bigint" ? v : BigInt(v);
  const neg = big < 0n;
  const abs = neg ? -big : big;
  let base: number;
  let prefix = "";
  switch (verb) {
    case "v": case "d": base = 10; break;
    case "b": base = 2; if (spec.sharp) prefix = "0b"; break;
    case "o": base = 8; if (spec.sharp) prefix = "0"; break;
    case "O": base = 8; prefix = "0o"; break;
    case "x": base = 16; if (spec.sharp) prefix = "0x"; break;
    case "X": base = 16; if (spec.sharp) prefix = "0X"; break;
    case "c": return pad(runeString(Number(big)), spec);
    case "q": return pad(goQuote(runeString(Number(big)), "'"), spec);
    case "U": return pad("U+" + abs.toString(16).toUpperCase().padStart(4, "0"), spec);
    case "e": case "E": case "f": case "F": case "g": case "G":
      return fmtFloat(Number(big), verb, spec);
    default: return null;
  }
  let digits = abs.toString(base);
  if (verb === "X") digits = digits.toUpperCase();
  const sign = neg ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  let prec = 0;
  if (spec.prec !== undefined) {
    prec = spec.prec;
    if (prec === 0 && abs === 0n) return pad("", { ...spec, zero: false });
  } else if (spec.zero && !spec.minus && spec.width !== undefined) {
    prec = spec.width - sign.length;
  }
  if (verb === "o" && prefix === "0" && digits.startsWith("0")) prefix = "";
  digits = digits.padStart(prec, "0");
  return pad(sign + prefix + digits, { ...spec, zero: false });
}

function runeString(cp: number): string {
  if (!Number.isInteger(cp) || cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return "\ufffd";
  return String.fromCodePoint(cp);
}

function fmtString(s: string, verb: string, spec: Spec): string | null {
  switch (verb) {
    case "v": case "s": {
      const t = spec.prec === undefined ? s : Array.from(s).slice(0, spec.prec).join("");
      return pad(t, spec);
    }
    case "q":
      return pad(goQuote(spec.prec === undefined ? s : Array.from(s).slice(0, spec.prec).join("")), spec);
    case "x": case "X": {
      let bytes = Array.from(new TextEncoder().encode(s));
      if (spec.prec !== undefined) bytes = bytes.slice(0, spec.prec);
      let out = bytes.map((b) => hex(b, 2)).join(spec.space ? " " : "");
      if (spec.sharp && out !== "") out = "0x" + out;
      return pad(verb === "X" ? out.toUpperCase() : out, spec);
    }
    default:
      return null;
  }
}

/** fmt's printValue: element-wise for slices and maps; nested nils print <nil>. */
function printValue(v: unknown, verb: string, spec: Spec): string {
  let r: string | null;
  switch (kindOf(v)) {
    case "nil":
      return pad("<nil>", spec);
    case "bool":
      r = verb === "v" || verb === "t" ? pad(String(v), spec) : null;
      break;
    case "int":
      r = fmtInt(v as number | bigint, verb, spec);
      break;
    case "float":
      r = fmtFloat(v as number, verb, spec);
      break;
    case "string":
      r = fmtString(v as string, verb, spec);
      break;
    case "slice":
      return "[" + (v as unknown[]).map((e) => printValue(e, verb, spec)).join(" ") + "]";
    case "map": {
      const o = v as Obj;
      return "map[" + mapKeys(o).map((k) => printValue(k, verb, spec) + ":" + printValue(o[k], verb, spec)).join(" ") + "]";
    }
  }
  return r ?? badVerb(v, verb);
}

function badVerb(v: unknown, verb: string): string {
  if (isNil(v)) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${printValue(v, "v", PLAIN)})`;
}

function printArg(v: unknown, verb: string, spec: Spec): string {
  if (verb === "T") return pad(goTypeName(v), spec);
  if (isNil(v)) return verb === "v" ? pad("<nil>", spec) : badVerb(v, verb);
  return printValue(v, verb, spec);
}

/** %v of one value (fmt.Sprint of a single operand). */
function formatValue(v: unknown): string {
  return printArg(v, "v", PLAIN);
}

/** fmt.Sprint: spaces between operands when neither is a string. */
function sprint(args: unknown[]): string {
  let out = "";
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === "string";
    if (i > 0 && !isString && !prevString) out += " ";
    out += formatValue(a);
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: spaces always, newline at the end. */
function sprintln(args: unknown[]): string {
  return args.map(formatValue).join(" ") + "\n";
}

/** fmt.Sprintf for the verbs v s d q t f F e E g G x X o O b c U T and %%. */
function sprintf(format: string, args: unknown[]): string {
  let out = "";
  let argNum = 0;
  let i = 0;
  const readNum = (): number | undefined => {
    const m = /^\d+/.exec(format.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return Number(m[0]);
  };
  while (i < format.length) {
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec = plainSpec();
    for (let more = true; more && i < format.length; ) {
      switch (format[i]) {
        case "#": spec.sharp = true; i++; break;
        case "0": spec.zero = !spec.minus; i++; break;
        case "+": spec.plus = true; i++; break;
        case "-": spec.minus = true; spec.zero = false; i++; break;
        case " ": spec.space = true; i++; break;
        default: more = false;
      }
    }
    if (format[i] === "*") {
      i++;
      const a = args[argNum];
      if (argNum < args.length && kindOf(a) === "int") {
        argNum++;
        let w = Number(a);
        if (w < 0) {
          spec.minus = true;
          spec.zero = false;
          w = -w;
        }
        spec.width = w;
      } else {
        if (argNum < args.length) argNum++;
        out += "%!(BADWIDTH)";
      }
    } else {
      spec.width = readNum();
    }
    if (format[i] === ".") {
      i++;
      if (format[i] === "*") {
        i++;
        const a = args[argNum];
        if (argNum < args.length && kindOf(a) === "int" && Number(a) >= 0) {
          argNum++;
          spec.prec = Number(a);
        } else {
          if (argNum < args.length) argNum++;
          out += "%!(BADPREC)";
        }
      } else {
        spec.prec = readNum() ?? 0;
      }
    }
    const cp = format.codePointAt(i);
    if (cp === undefined) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(cp);
    i += verb.length;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += printArg(args[argNum++], verb, spec);
  }
  if (argNum < args.length) {
    const extra = args.slice(argNum).map((a) => (isNil(a) ? "<nil>" : `${goTypeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(", ")})`;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------

/** An error a function returns; execution wraps it as `error calling NAME: ...`. */
class FuncError extends Error {}

type ParamType = "any" | "string" | "int" | "strings";

interface FuncDef {
  params: ParamType[];
  variadic?: ParamType;
  fn: (args: unknown[]) => unknown;
}

const str = (args: unknown[], i: number): string => String(args[i] ?? "");
const int = (args: unknown[], i: number): number => Number(args[i] ?? 0);

function goLen(v: unknown): number {
  switch (kindOf(v)) {
    case "nil": throw new FuncError("len of nil pointer");
    case "string": return utf8Len(v as string);
    case "slice": return (v as unknown[]).length;
    case "map": return mapKeys(v as object).length;
    default: throw new FuncError(`len of type ${goTypeName(v)}`);
  }
}

function indexArg(index: unknown, cap: number): number {
  const k = kindOf(index);
  if (k === "nil") throw new FuncError("cannot index slice/array with nil");
  if (k !== "int") throw new FuncError(`cannot index slice/array with type ${goTypeName(index)}`);
  const x = Number(index);
  if (x < 0 || x > cap) throw new FuncError(`index out of range: ${x}`);
  return x;
}

function goIndex(item: unknown, indexes: unknown[]): unknown {
  if (isNil(item)) throw new FuncError("index of untyped nil");
  let cur = item;
  for (const index of indexes) {
    if (isNil(cur)) throw new FuncError("index of nil pointer");
    switch (kindOf(cur)) {
      case "slice": {
        const a = cur as unknown[];
        const x = indexArg(index, a.length);
        if (x === a.length) throw new FuncError("reflect: slice index out of range");
        cur = a[x];
        break;
      }
      case "string": {
        const bytes = new TextEncoder().encode(cur as string);
        const x = indexArg(index, bytes.length);
        if (x === bytes.length) throw new FuncError("reflect: string index out of range");
        cur = bytes[x];
        break;
      }
      case "map":
        if (isNil(index)) throw new FuncError("value is nil; should be of type string");
        if (typeof index !== "string") throw new FuncError(`value has type ${goTypeName(index)}; should be string`);
        cur = mapGet(cur as object, index);
        break;
      default:
        throw new FuncError(`can't index item of type ${goTypeName(cur)}`);
    }
  }
  return cur;
}

function goSlice(item: unknown, indexes: unknown[]): unknown {
  if (isNil(item)) throw new FuncError("slice of untyped nil");
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  let len: number;
  let bytes: Uint8Array | undefined;
  if (k === "string") {
    if (indexes.length === 3) throw new FuncError("cannot 3-index slice a string");
    bytes = new TextEncoder().encode(item as string);
    len = bytes.length;
  } else if (k === "slice") {
    len = (item as unknown[]).length;
  } else {
    throw new FuncError(`can't slice item of type ${goTypeName(item)}`);
  }
  const idx = [0, len, len];
  indexes.forEach((x, i) => {
    idx[i] = indexArg(x, len);
  });
  const [lo = 0, hi = len, max = len] = idx;
  if (lo > hi) throw new FuncError(`invalid slice index: ${lo} > ${hi}`);
  if (indexes.length === 3 && hi > max) throw new FuncError(`invalid slice index: ${hi} > ${max}`);
  if (bytes) return new TextDecoder().decode(bytes.subarray(lo, hi));
  return (item as unknown[]).slice(lo, hi);
}

type BasicKind = "bool" | "number" | "string" | "nil" | "other";

function basicKind(v: unknown): BasicKind {
  switch (kindOf(v)) {
    case "bool": return "bool";
    case "int": case "float": return "number";
    case "string": return "string";
    case "nil": return "nil";
    default: return "other";
  }
}

function goEq(a: unknown, rest: unknown[]): boolean {
  if (rest.length === 0) throw new FuncError("missing argument for comparison");
  const k1 = basicKind(a);
  for (const b of rest) {
    const k2 = basicKind(b);
    let truth: boolean;
    if (k1 !== k2) {
      if (k1 !== "nil" && k2 !== "nil") throw new FuncError("incompatible types for comparison");
      truth = false;
    } else if (k1 === "other") {
      throw new FuncError(`non-comparable type ${formatValue(b)}: ${goTypeName(b)}`);
    } else if (k1 === "number") {
      truth = Number(a) === Number(b) || (typeof a === "bigint" && typeof b === "bigint" && a === b);
    } else {
      truth = k1 === "nil" || a === b;
    }
    if (truth) return true;
  }
  return false;
}

function goLt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === "nil" || k1 === "other" || k2 === "nil" || k2 === "other") {
    throw new FuncError("invalid type for comparison");
  }
  if (k1 !== k2) throw new FuncError("incompatible types for comparison");
  if (k1 === "bool") throw new FuncError("invalid type for comparison");
  if (k1 === "number") return Number(a) < Number(b);
  return (a as string) < (b as string);
}

/** text/template's evalArgs: a lone string as is, else fmt.Sprint. */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === "string") return args[0];
  return sprint(args);
}

function htmlEscape(s: string): string {
  return s.replace(/["'&<>\0]/g, (c) => {
    switch (c) {
      case '"': return "&#34;";
      case "'": return "&#39;";
      case "&": return "&amp;";
      case "<": return "&lt;";
      case ">": return "&gt;";
      default: return "\ufffd";
    }
  });
}

function queryEscape(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += "%" + hex(b, 2).toUpperCase();
  }
  return out;
}

/** Docker's `json`: encoding/json without HTML escaping, trailing newline trimmed. */
function goJson(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v === undefined ? null : v, (_k, val: unknown) => (typeof val === "bigint" ? Number(val) : val));
  } catch {
    return "";
  }
  return (s ?? "null").replace(/[\u2028\u2029]/g, (c) => (c === "\u2028" ? "\\u2028" : "\\u2029"));
}

/** Map each rune, keeping it when the mapping is not one rune (as Go's unicode.To* does). */
function mapRunes(s: string, f: (ch: string) => string): string {
  let out = "";
  for (const ch of s) {
    const m = f(ch);
    out += runeCount(m) === 1 ? m : ch;
  }
  return out;
}

/** strings.Title: upper-case the first letter of each word. */
function goTitle(s: string): string {
  const isSeparator = (ch: string): boolean => {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp <= 0x7f) return !/[0-9A-Za-z_]/.test(ch);
    if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
    return /\s/u.test(ch);
  };
  let prev = " ";
  let out = "";
  for (const ch of s) {
    out += isSeparator(prev) ? mapRunes(ch, (c) => c.toUpperCase()) : ch;
    prev = ch;
  }
  return out;
}

const FUNCS = new Map<string, FuncDef>([
  // text/template builtins ("and"/"or" are evaluated lazily by the executor)
  ["and", { params: ["any"], variadic: "any", fn: () => undefined }],
  ["or", { params: ["any"], variadic: "any", fn: () => undefined }],
  ["not", { params: ["any"], fn: (a) => !isTrue(a[0]) }],
  ["len", { params: ["any"], fn: (a) => goLen(a[0]) }],
  ["index", { params: ["any"], variadic: "any", fn: (a) => goIndex(a[0], a.slice(1)) }],
  ["slice", { params: ["any"], variadic: "any", fn: (a) => goSlice(a[0], a.slice(1)) }],
  ["print", { params: [], variadic: "any", fn: (a) => sprint(a) }],
  ["printf", { params: ["string"], variadic: "any", fn: (a) => sprintf(str(a, 0), a.slice(1)) }],
  ["println", { params: [], variadic: "any", fn: (a) => sprintln(a) }],
  ["eq", { params: ["any"], variadic: "any", fn: (a) => goEq(a[0], a.slice(1)) }],
  ["ne", { params: ["any", "any"], fn: (a) => !goEq(a[0], [a[1]]) }],
  ["lt", { params: ["any", "any"], fn: (a) => goLt(a[0], a[1]) }],
  ["le", { params: ["any", "any"], fn: (a) => goLt(a[0], a[1]) || goEq(a[0], [a[1]]) }],
  ["gt", { params: ["any", "any"], fn: (a) => !(goLt(a[0], a[1]) || goEq(a[0], [a[1]])) }],
  ["ge", { params: ["any", "any"], fn: (a) => !goLt(a[0], a[1]) }],
  ["html", { params: [], variadic: "any", fn: (a) => htmlEscape(evalArgs(a)) }],
  ["urlquery", { params: [], variadic: "any", fn: (a) => queryEscape(evalArgs(a)) }],
  // Docker's additions (cli/templates)
  ["json", { params: ["any"], fn: (a) => goJson(a[0]) }],
  ["split", {
    params: ["string", "string"],
    fn: (a) => (str(a, 1) === "" ? Array.from(str(a, 0)) : str(a, 0).split(str(a, 1))),
  }],
  ["join", { params: ["strings", "string"], fn: (a) => (a[0] as string[]).join(str(a, 1)) }],
  ["title", { params: ["string"], fn: (a) => goTitle(str(a, 0)) }],
  ["lower", { params: ["string"], fn: (a) => mapRunes(str(a, 0), (c) => c.toLowerCase()) }],
  ["upper", { params: ["string"], fn: (a) => mapRunes(str(a, 0), (c) => c.toUpperCase()) }],
  ["pad", {
    params: ["string", "int", "int"],
    fn: (a) => {
      const s = str(a, 0);
      if (s === "") return s;
      return " ".repeat(Math.max(int(a, 1), 0)) + s + " ".repeat(Math.max(int(a, 2), 0));
    },
  }],
  ["truncate", {
    params: ["string", "int"],
    fn: (a) => {
      const runes = Array.from(str(a, 0));
      const n = int(a, 1);
      if (runes.length < n) return str(a, 0);
      if (n < 0) throw new FuncError(`runtime error: slice bounds out of range [:${n}]`);
      return runes.slice(0, n).join("");
    },
  }],
]);

// ---------------------------------------------------------------------------
// Execution (mirrors text/template/exec.go)
// ---------------------------------------------------------------------------

const MISSING = Symbol("missing");

class LoopSignal {
  constructor(readonly kind: "break" | "continue") {}
}

class State {
  private readonly vars: Array<{ name: string; value: unknown }>;
  private node: PosNode | null = null;
  readonly out: string[] = [];

  constructor(
    private readonly src: string,
    data: unknown,
    private readonly missingKeyError: boolean,
  ) {
    this.vars = [{ name: "$", value: data }];
  }

  private at(node: PosNode): void {
    this.node = node;
  }

  private errorf(msg: string): never {
    if (!this.node) throw new TemplateError(`template: : ${msg}`, 1, undefined);
    const { line, col } = locate(this.src, this.node.pos);
    throw new TemplateError(
      `template: :${line}:${col}: executing "" at <${nodeString(this.node)}>: ${msg}`,
      line,
      col,
    );
  }

  // --- variables ----------------------------------------------------------

  private pop(mark: number): void {
    this.vars.length = mark;
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v && v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: unknown): void {
    const v = this.vars[this.vars.length - n];
    if (v) v.value = value;
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v && v.name === name) return v.value;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  // --- statements ---------------------------------------------------------

  walk(dot: unknown, nodes: Node[]): void {
    for (const node of nodes) {
      switch (node.type) {
        case "text":
          this.out.push(node.text);
          break;
        case "action": {
          const val = this.evalPipeline(dot, node.pipe);
          if (node.pipe.decl.length === 0) this.out.push(isNil(val) ? "<no value>" : formatValue(val));
          break;
        }
        case "if":
        case "with": {
          const mark = this.vars.length;
          try {
            const val = this.evalPipeline(dot, node.pipe);
            if (isTrue(val)) this.walk(node.type === "with" ? val : dot, node.list);
            else if (node.elseList) this.walk(dot, node.elseList);
          } finally {
            this.pop(mark);
          }
          break;
        }
        case "range":
          this.walkRange(dot, node);
          break;
        case "break":
        case "continue":
          throw new LoopSignal(node.type);
      }
    }
  }

  private walkRange(dot: unknown, r: BranchNode): void {
    this.at(r);
    const outer = this.vars.length;
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.vars.length;
      const decl = r.pipe.decl;
      const one = (index: unknown, elem: unknown): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0]?.ident[0] ?? "", decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]?.ident[0] ?? "", elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (!(e instanceof LoopSignal && e.kind === "continue")) throw e;
        } finally {
          this.pop(mark);
        }
      };
      const loop = (body: () => void): void => {
        try {
          body();
        } catch (e) {
          if (!(e instanceof LoopSignal && e.kind === "break")) throw e;
        }
      };
      let empty = true;
      switch (kindOf(val)) {
        case "slice": {
          const a = val as unknown[];
          empty = a.length === 0;
          loop(() => a.forEach((e, i) => one(i, e)));
          break;
        }
        case "map": {
          const o = val as Obj;
          const keys = mapKeys(o);
          empty = keys.length === 0;
          loop(() => keys.forEach((k) => one(k, o[k])));
          break;
        }
        case "int": {
          const n = Number(val);
          if (decl.length > 1) this.errorf(`can't use ${n} to iterate over more than one variable`);
          empty = n <= 0;
          loop(() => {
            for (let i = 0; i < n; i++) one(i, i);
          });
          break;
        }
        case "nil":
          break;
        default:
          this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (empty && r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.pop(outer);
    }
  }

  // --- expressions --------------------------------------------------------

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      const name = v.ident[0] ?? "";
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private notAFunction(args: ArgNode[], final: unknown): void {
    const first = args[0];
    if (args.length > 1 || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${first ? argString(first) : ""}`);
    }
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: unknown): unknown {
    const first = cmd.args[0];
    if (!first) this.errorf("empty command");
    switch (first.type) {
      case "field":
        this.at(first);
        return this.evalFieldChain(dot, first.ident, cmd.args, final);
      case "chain":
        return this.evalChain(dot, first, cmd.args, final);
      case "identifier":
        return this.evalFunction(dot, first, cmd, cmd.args.slice(1), final);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariable(first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case "bool": return first.value;
      case "dot": return dot;
      case "nil": this.errorf("nil is not a command");
      case "number": return first.value;
      case "string": return first.value;
    }
  }

  private evalChain(dot: unknown, chain: ChainNode, args: ArgNode[], final: unknown): unknown {
    this.at(chain);
    if (chain.node.type === "nil") this.errorf(`indirection through explicit nil in ${argString(chain)}`);
    const receiver = this.evalArg(dot, chain.node);
    this.at(chain);
    return this.evalFieldChain(receiver, chain.field, args, final);
  }

  private evalVariable(v: VariableNode, args: ArgNode[], final: unknown): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0] ?? "");
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(value, v.ident.slice(1), args, final);
  }

  private evalFieldChain(receiver: unknown, ident: string[], args: ArgNode[], final: unknown): unknown {
    let cur = receiver;
    ident.forEach((name, i) => {
      const last = i === ident.length - 1;
      cur = this.evalField(name, last ? args : [], last ? final : MISSING, cur);
    });
    return cur;
  }

  private evalField(name: string, args: ArgNode[], final: unknown, receiver: unknown): unknown {
    if (isNil(receiver)) {
      if (this.missingKeyError) {
        if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
        this.errorf(`nil data; no entry for key ${goQuote(name)}`);
      }
      return undefined;
    }
    if (kindOf(receiver) === "map") {
      if (args.length > 1 || final !== MISSING) this.errorf(`${name} is not a method but has arguments`);
      const v = mapGet(receiver as object, name);
      if (v === undefined && this.missingKeyError) this.errorf(`map has no entry for key ${goQuote(name)}`);
      return v;
    }
    this.errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  private evalFunction(dot: unknown, ident: IdentifierNode, cmd: PosNode, argNodes: ArgNode[], final: unknown): unknown {
    this.at(ident);
    const name = ident.name;
    const def = FUNCS.get(name);
    if (!def) this.errorf(`${goQuote(name)} is not a defined function`);
    const hasFinal = final !== MISSING;
    const numIn = argNodes.length + (hasFinal ? 1 : 0);
    const numFixed = def.params.length;
    if (def.variadic !== undefined) {
      if (numIn < numFixed) {
        this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${argNodes.length}`);
      }
    } else if (numIn !== numFixed) {
      this.errorf(`wrong number of args for ${name}: want ${numFixed} got ${numIn}`);
    }
    if (name === "and" || name === "or") {
      let v: unknown;
      for (const a of argNodes) {
        v = this.evalArg(dot, a);
        if (isTrue(v) === (name === "or")) return v;
      }
      return hasFinal ? final : v;
    }
    const argv: unknown[] = [];
    argNodes.forEach((a, i) => {
      const t = i < numFixed ? def.params[i] : def.variadic;
      argv.push(this.validateType(this.evalArg(dot, a), t ?? "any"));
    });
    if (hasFinal) {
      let t: ParamType | undefined;
      if (def.variadic !== undefined) t = numIn - 1 < numFixed ? def.params[numIn - 1] : def.variadic;
      else t = def.params[numFixed - 1];
      argv.push(this.validateType(final, t ?? "any"));
    }
    try {
      return def.fn(argv);
    } catch (e) {
      if (e instanceof FuncError) {
        this.at(cmd);
        this.errorf(`error calling ${name}: ${e.message}`);
      }
      throw e;
    }
  }

  private evalArg(dot: unknown, n: ArgNode): unknown {
    this.at(n);
    switch (n.type) {
      case "dot": return dot;
      case "nil": return null;
      case "field": return this.evalFieldChain(dot, n.ident, [n], MISSING);
      case "variable": return this.evalVariable(n, [], MISSING);
      case "pipe": return this.evalPipeline(dot, n);
      case "identifier": return this.evalFunction(dot, n, n, [], MISSING);
      case "chain": return this.evalChain(dot, n, [], MISSING);
      case "bool": return n.value;
      case "number": return n.value;
      case "string": return n.value;
    }
  }

  private validateType(value: unknown, t: ParamType): unknown {
    switch (t) {
      case "any":
        return value;
      case "string":
        if (typeof value === "string") return value;
        if (isNil(value)) this.errorf("invalid value; expected string");
        this.errorf(`wrong type for value; expected string; got ${goTypeName(value)}`);
      case "int":
        if (kindOf(value) === "int") return Number(value);
        if (isNil(value)) this.errorf("invalid value; expected int");
        this.errorf(`wrong type for value; expected int; got ${goTypeName(value)}`);
      case "strings":
        if (isNil(value)) return [];
        if (Array.isArray(value)) return value.map((e: unknown) => (typeof e === "string" ? e : formatValue(e)));
        this.errorf(`wrong type for value; expected []string; got ${goTypeName(value)}`);
    }
  }
}
