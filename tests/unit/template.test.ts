import { describe, expect, test } from "bun:test";
import {
  expandEscapes,
  parseTemplate,
  renderTemplate,
  TemplateError,
  templateFunctionNames,
} from "../../cmd/_template.ts";

/** A trimmed-down `ctr inspect` document. */
const container = {
  Id: "4f66ad9a0b2e",
  Name: "/web",
  Args: ["-g", "daemon off;"],
  State: { Status: "running", Running: true, Paused: false, Pid: 4321, ExitCode: 0, StartedAt: "2024-01-02T03:04:05Z" },
  Config: {
    Image: "nginx:latest",
    Env: ["PATH=/usr/bin", "TERM=xterm"],
    Labels: { "com.example.team": "web", foo: "bar", alpha: "1" },
    Cmd: null,
  },
  Mounts: [
    { Type: "bind", Source: "/srv/html", Destination: "/usr/share/nginx/html", RW: false },
    { Type: "volume", Source: "/var/lib/ctr/volumes/data", Destination: "/data", RW: true },
  ],
  NetworkSettings: {
    Networks: { bridge: { IPAddress: "172.17.0.2", Gateway: "172.17.0.1" } },
    Ports: {},
  },
  Size: 1.5,
};

const r = (tpl: string, data: unknown = container): string => renderTemplate(tpl, data);

/** The TemplateError message a template throws. */
function failure(tpl: string, data: unknown = container): string {
  try {
    renderTemplate(tpl, data);
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    const msg = (e as TemplateError).message;
    expect(msg).not.toContain("\n");
    return msg;
  }
  throw new Error(`expected ${JSON.stringify(tpl)} to fail`);
}

describe("text and fields", () => {
  test("plain text passes through, escapes are not interpreted", () => {
    expect(r("hello\\tworld")).toBe("hello\\tworld");
    expect(r("")).toBe("");
  });

  test("field chains", () => {
    expect(r("{{.Name}}")).toBe("/web");
    expect(r("{{.State.Pid}}")).toBe("4321");
    expect(r("{{ .State.Status }}")).toBe("running");
    expect(r("pid={{.State.Pid}} exit={{.State.ExitCode}}")).toBe("pid=4321 exit=0");
  });

  test("maps by key", () => {
    expect(r("{{.Config.Labels.foo}}")).toBe("bar");
    expect(r("{{.NetworkSettings.Networks.bridge.IPAddress}}")).toBe("172.17.0.2");
  });

  test("dot prints the whole value the Go way", () => {
    expect(r("{{.}}", "just a string")).toBe("just a string");
    expect(r("{{.}}", 42)).toBe("42");
    expect(r("{{.}}", { b: 2, a: [1, "x", true, null] })).toBe("map[a:[1 x true <nil>] b:2]");
    expect(r("{{.Config.Labels}}")).toBe("map[alpha:1 com.example.team:web foo:bar]");
    expect(r("{{.Args}}")).toBe("[-g daemon off;]");
    expect(r("{{.Mounts}}")).toBe(
      "[map[Destination:/usr/share/nginx/html RW:false Source:/srv/html Type:bind] " +
        "map[Destination:/data RW:true Source:/var/lib/ctr/volumes/data Type:volume]]",
    );
    expect(r("{{.NetworkSettings.Ports}} {{.Config.Env}}")).toBe("map[] [PATH=/usr/bin TERM=xterm]");
  });

  test("numbers, booleans and nil print like Go", () => {
    expect(r("{{.State.Running}} {{.State.Paused}}")).toBe("true false");
    expect(r("{{.Size}}")).toBe("1.5");
    expect(r("{{.}}", 0.00001)).toBe("1e-05");
    expect(r("{{.}}", 1234567.5)).toBe("1.2345675e+06");
    expect(r("{{.}}", 1000000)).toBe("1000000");
    expect(r("{{.}}", -7)).toBe("-7");
    expect(r("{{.Config.Cmd}}")).toBe("<no value>");
    expect(r("{{.}}", null)).toBe("<no value>");
    expect(renderTemplate("{{.}}", undefined)).toBe("<no value>");
    expect(renderTemplate("{{.Name}}", undefined)).toBe("<no value>");
  });

  test("missing keys print <no value>, also deeper down", () => {
    expect(r("{{.Nope}}")).toBe("<no value>");
    expect(r("{{.State.Health.Status}}")).toBe("<no value>");
    expect(r("{{.Config.Cmd.Foo}}")).toBe("<no value>");
    expect(r("[{{.Config.Labels.missing}}]")).toBe("[<no value>]");
  });

  test("prototype properties are not fields", () => {
    expect(r("{{.constructor}} {{.toString}}")).toBe("<no value> <no value>");
  });

  test("missingKey=error reports like Docker's raw inspect fallback", () => {
    const t = parseTemplate("{{.State.Health.Status}}");
    expect(() => t.execute(container, { missingKey: "error" })).toThrow(
      'template: :1:8: executing "" at <.State.Health.Status>: map has no entry for key "Health"',
    );
    expect(t.execute(container)).toBe("<no value>");
  });

  test("literals", () => {
    expect(r('{{"a\\tb"}}|{{`raw\\n`}}|{{3}}|{{-3}}|{{1.5}}|{{0x1F}}|{{1_000}}|{{\'a\'}}|{{true}}')).toBe(
      "a\tb|raw\\n|3|-3|1.5|31|1000|97|true",
    );
  });
});

describe("json", () => {
  test("compact, in key order, no HTML escaping", () => {
    expect(r("{{json .Config}}")).toBe(
      '{"Image":"nginx:latest","Env":["PATH=/usr/bin","TERM=xterm"],' +
        '"Labels":{"com.example.team":"web","foo":"bar","alpha":"1"},"Cmd":null}',
    );
    expect(r("{{json .Args}}")).toBe('["-g","daemon off;"]');
    expect(r('{{json "<a>&b"}}')).toBe('"<a>&b"');
    expect(r("{{json .Name}} {{json .State.Pid}} {{json .Missing}}")).toBe('"/web" 4321 null');
    expect(r("{{json .}}", "\u2028")).toBe('"\\u2028"');
  });
});

describe("range", () => {
  test("over a slice, dot is the element", () => {
    expect(r("{{range .Mounts}}{{.Source}} {{end}}")).toBe("/srv/html /var/lib/ctr/volumes/data ");
  });

  test("over a map with key and value variables, keys sorted", () => {
    expect(r("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}")).toBe(
      "alpha=1;com.example.team=web;foo=bar;",
    );
  });

  test("index and element of a slice; one variable is the element", () => {
    expect(r("{{range $i, $a := .Args}}{{$i}}:{{$a}} {{end}}")).toBe("0:-g 1:daemon off; ");
    expect(r("{{range $a := .Args}}<{{$a}}>{{end}}")).toBe("<-g><daemon off;>");
  });

  test("else runs for empty, nil and missing", () => {
    expect(r("{{range .NetworkSettings.Ports}}x{{else}}none{{end}}")).toBe("none");
    expect(r("{{range .Config.Cmd}}x{{else}}none{{end}}")).toBe("none");
    expect(r("{{range .Nope}}x{{else}}none{{end}}")).toBe("none");
    expect(r("{{range .}}x{{else}}none{{end}}", [])).toBe("none");
  });

  test("$ is the root inside range", () => {
    expect(r("{{range .Mounts}}{{$.Name}}:{{.Destination}} {{end}}")).toBe("/web:/usr/share/nginx/html /web:/data ");
  });

  test("break and continue", () => {
    expect(r("{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}", [1, 2, 3, 4, 5])).toBe(
      "13",
    );
  });

  test("over an integer", () => {
    expect(r("{{range 3}}{{.}}{{end}}")).toBe("012");
  });

  test("variables assigned in a loop survive it", () => {
    expect(r("{{$n := 0}}{{range .Args}}{{$n = .}}{{end}}{{$n}}")).toBe("daemon off;");
  });
});

describe("if / with / else", () => {
  test("if else", () => {
    expect(r("{{if .State.Running}}up{{else}}down{{end}}")).toBe("up");
    expect(r("{{if .State.Paused}}paused{{else}}not paused{{end}}")).toBe("not paused");
  });

  test("Go truthiness", () => {
    const t = parseTemplate("{{if .}}T{{else}}F{{end}}");
    const falsy = [false, 0, null, undefined, "", [], {}];
    const truthy = [true, 1, -1, 0.5, "0", "false", [0], { a: 0 }];
    expect(falsy.map((v) => t.execute(v)).join("")).toBe("FFFFFFF");
    expect(truthy.map((v) => t.execute(v)).join("")).toBe("TTTTTTTT");
  });

  test("else if chains", () => {
    const t = parseTemplate('{{if eq . "a"}}A{{else if eq . "b"}}B{{else}}other{{end}}');
    expect(["a", "b", "c"].map((v) => t.execute(v)).join(",")).toBe("A,B,other");
  });

  test("with changes dot; else with", () => {
    expect(r("{{with .State}}{{.Status}}/{{.Pid}}{{end}}")).toBe("running/4321");
    expect(r("{{with .State.Health}}{{.Status}}{{else}}no healthcheck{{end}}")).toBe("no healthcheck");
    expect(r("{{with .A}}a{{else with .B}}b={{.}}{{else}}none{{end}}", { B: "x" })).toBe("b=x");
    expect(r("{{with $ip := .NetworkSettings.Networks.bridge.IPAddress}}{{$ip}}{{end}}")).toBe("172.17.0.2");
  });

  test("and, or, not, comparisons", () => {
    expect(r("{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"x\"}} {{or 0 false}} {{not .Config.Cmd}}")).toBe("0 2 x false true");
    expect(r("{{eq .State.Status \"running\"}} {{eq 2 1 2}} {{ne .State.Pid 1}}")).toBe("true true true");
    expect(r("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1 2}}")).toBe("true true true false");
    expect(r("{{eq .Config.Cmd nil}} {{eq .Name nil}}")).toBe("true false");
  });
});

describe("variables", () => {
  test("declare and assign", () => {
    expect(r("{{$x := .Name}}{{$x}}")).toBe("/web");
    expect(r("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}")).toBe("2");
    expect(r("{{$s := .State}}{{$s.Status}}")).toBe("running");
  });
});

describe("functions", () => {
  test("index", () => {
    expect(r('{{index .NetworkSettings.Networks "bridge"}}')).toBe("map[Gateway:172.17.0.1 IPAddress:172.17.0.2]");
    expect(r('{{(index .NetworkSettings.Networks "bridge").IPAddress}}')).toBe("172.17.0.2");
    expect(r('{{index .Config.Labels "com.example.team"}}')).toBe("web");
    expect(r('{{index .Config.Labels "nope"}}')).toBe("<no value>");
    expect(r("{{index .Args 1}} {{index .Mounts 0 | json}}")).toBe(
      'daemon off; {"Type":"bind","Source":"/srv/html","Destination":"/usr/share/nginx/html","RW":false}',
    );
    expect(r('{{index "abc" 1}}')).toBe("98");
  });

  test("pipelines pass the value as the last argument", () => {
    expect(r('{{.Name | printf "%s"}}')).toBe("/web");
    expect(r('{{.Name | printf "%s-%s" "x" | upper}}')).toBe("X-/WEB");
    expect(r("{{.Config.Labels | len}}")).toBe("3");
  });

  test("join, split", () => {
    expect(r('{{join .Args ","}}')).toBe("-g,daemon off;");
    expect(r('{{join .Config.Env "\\n"}}')).toBe("PATH=/usr/bin\nTERM=xterm");
    expect(r('{{split "a:b:c" ":"}} {{len (split "a:b:c" ":")}} {{index (split .Config.Image ":") 1}}')).toBe(
      "[a b c] 3 latest",
    );
    expect(r('{{split "héj" ""}}')).toBe("[h é j]");
    expect(r('{{join .Nope ","}}')).toBe("");
  });

  test("upper, lower, title", () => {
    expect(r("{{upper .State.Status}} {{lower \"ABC Déf\"}} {{title \"hello wide-world\"}}")).toBe(
      "RUNNING abc déf Hello Wide-World",
    );
  });

  test("truncate, pad", () => {
    expect(r("{{truncate .Id 4}}|{{truncate .Name 10}}|{{pad .Name 2 1}}|{{pad \"\" 3 3}}|")).toBe("4f66|/web|  /web ||");
  });

  test("len counts bytes of strings, elements, keys", () => {
    expect(r('{{len .Args}} {{len .Config.Labels}} {{len "héllo"}}')).toBe("2 3 6");
  });

  test("print, println", () => {
    expect(r('{{print 1 2 "a" "b" 3}}')).toBe("1 2ab3");
    expect(r('{{println .Name .State.Pid}}')).toBe("/web 4321\n");
    expect(r("{{range .Mounts}}{{println .Destination}}{{end}}")).toBe("/usr/share/nginx/html\n/data\n");
    expect(r("{{print .Missing}}")).toBe("<nil>");
  });

  test("slice, html, urlquery", () => {
    expect(r("{{slice .Id 0 4}} {{slice .Args 1}}")).toBe("4f66 [daemon off;]");
    expect(r("{{html \"<a href='x'>&\"}}")).toBe("&lt;a href=&#39;x&#39;&gt;&amp;");
    expect(r('{{urlquery "a b&c/é"}}')).toBe("a+b%26c%2F%C3%A9");
  });

  test("function names", () => {
    const names = templateFunctionNames();
    for (const n of ["json", "join", "split", "upper", "lower", "title", "truncate", "pad", "printf", "println", "len", "index"]) {
      expect(names).toContain(n);
    }
  });
});

describe("printf", () => {
  const p = (fmt: string, ...args: string[]): string => r(`{{printf ${JSON.stringify(fmt)} ${args.join(" ")}}}`);

  test("%s %d %v %q", () => {
    expect(p("%s|%d|%v|%q", ".Name", ".State.Pid", ".Args", ".Name")).toBe('/web|4321|[-g daemon off;]|"/web"');
    expect(p("%v %v %v", ".State.Running", ".Size", ".Config.Labels")).toBe(
      "true 1.5 map[alpha:1 com.example.team:web foo:bar]",
    );
    expect(p("%q", '"tab\\there"')).toBe('"tab\\there"');
    expect(p("%q", ".Args")).toBe('["-g" "daemon off;"]');
  });

  test("width, precision, flags", () => {
    expect(p("[%-8s][%8s][%.2s]", ".Name", ".Name", ".Name")).toBe("[/web    ][    /web][/w]");
    expect(p("[%5d][%-5d][%05d][%+d][%x][%X][%#x][%o][%b]", "42", "42", "-42", "5", "255", "255", "255", "8", "5")).toBe(
      "[   42][42   ][-0042][+5][ff][FF][0xff][10][101]",
    );
    expect(p("[%.2f][%8.3f][%e][%g][%.3g]", "3.14159", "2.5", "123456.789", "0.000012345", "3.14159")).toBe(
      "[3.14][   2.500][1.234568e+05][1.2345e-05][3.14]",
    );
    expect(p("%5.1f%%", "12.345")).toBe(" 12.3%");
    expect(p("%*d|%c|%U|%t", "4", "7", "65", "9731", "true")).toBe("   7|A|U+2603|true");
  });

  test("Go's error notation for bad verbs and argument counts", () => {
    expect(p("%d", ".Name")).toBe("%!d(string=/web)");
    expect(p("%s", ".State.Pid")).toBe("%!s(int=4321)");
    expect(p("%d", ".Size")).toBe("%!d(float64=1.5)");
    expect(p("%s %v", ".Missing", ".Missing")).toBe("%!s(<nil>) <nil>");
    expect(p("%s %s", ".Name")).toBe("/web %!s(MISSING)");
    expect(p("%s", ".Name", "1", '"x"')).toBe("/web%!(EXTRA int=1, string=x)");
    expect(p("%d", ".Args")).toBe("[%!d(string=-g) %!d(string=daemon off;)]");
    expect(p("%T %T %T %T %T", "1", "1.5", '"s"', ".Args", ".Config.Labels")).toBe(
      "int float64 string []interface {} map[string]interface {}",
    );
  });
});

describe("whitespace trimming and comments", () => {
  test("trim markers", () => {
    expect(r("a  \n {{- .Name -}} \n\t b")).toBe("a/webb");
    expect(r("{{range .Args -}}\n  [{{.}}]\n{{- end}}")).toBe("[-g][daemon off;]");
    expect(r("{{- 3}} {{-3}} {{3 -}} x")).toBe("3 -3 3x");
  });

  test("comments", () => {
    expect(r("a{{/* note */}}b")).toBe("ab");
    expect(r("a {{- /* note */ -}} b")).toBe("ab");
  });

  test("actions may span lines", () => {
    expect(r("{{if\n .State.Running\n}}up{{end}}")).toBe("up");
  });
});

describe("expandEscapes", () => {
  test("turns \\t and \\n into tab and newline, nothing else", () => {
    expect(expandEscapes("{{.Name}}\\t{{.Id}}\\n")).toBe("{{.Name}}\t{{.Id}}\n");
    expect(expandEscapes("a\\\\tb\\r")).toBe("a\\\tb\\r");
    expect(r(expandEscapes("{{.Name}}\\t{{.State.Pid}}"))).toBe("/web\t4321");
  });

  test("an expanded \\n inside a quoted string breaks it, as in Docker", () => {
    expect(() => parseTemplate(expandEscapes('{{join .Args "\\n"}}'))).toThrow("template: :1: unterminated quoted string");
  });
});

describe("parse errors", () => {
  test.each([
    ["{{.Name", "template: :1: unclosed action"],
    ["a\n{{.Name\n\n", "template: :4: unclosed action started at :2"],
    ["{{foo}}", 'template: :1: function "foo" not defined'],
    ["{{.Name | nope}}", 'template: :1: function "nope" not defined'],
    ["{{end}}", "template: :1: unexpected {{end}}"],
    ["{{else}}", "template: :1: unexpected {{else}}"],
    ["{{if .Name}}x", "template: :1: unexpected EOF"],
    ["{{if}}{{end}}", "template: :1: missing value for if"],
    ["{{}}", "template: :1: missing value for command"],
    ['{{"abc}}', "template: :1: unterminated quoted string"],
    ["{{$x}}", 'template: :1: undefined variable "$x"'],
    ["{{range $i, $e := .}}{{end}}{{$i}}", 'template: :1: undefined variable "$i"'],
    ["{{1 | 2}}", "template: :1: non executable command in pipeline stage 2"],
    ["{{break}}", "template: :1: {{break}} outside {{range}}"],
    ["{{(.Name}}", "template: :1: unclosed left paren"],
    ["{{.Name)}}", "template: :1: unexpected right paren"],
    ["{{ @ }}", 'template: :1: unexpected "@" in command'],
    ["{{.a-b}}", "template: :1: bad character U+002D '-'"],
    ["{{3x}}", 'template: :1: bad number syntax: "3x"'],
    ["{{/* x", "template: :1: unclosed comment"],
    ["{{/* x */ .Name}}", "template: :1: comment ends before closing delimiter"],
    ['{{template "x"}}', "template: :1: {{template}} is not supported"],
    ["ok\n\n{{if}}", "template: :3: missing value for if"],
  ])("%j", (tpl, msg) => {
    expect(failure(tpl)).toBe(msg);
  });

  test("errors carry the line", () => {
    try {
      parseTemplate("a\nb\n{{foo}}");
      throw new Error("not reached");
    } catch (e) {
      expect(e).toBeInstanceOf(TemplateError);
      expect((e as TemplateError).line).toBe(3);
      expect((e as TemplateError).column).toBeUndefined();
    }
  });
});

describe("execution errors", () => {
  test.each([
    ["{{.Name.Foo}}", 'template: :1:7: executing "" at <.Name.Foo>: can\'t evaluate field Foo in type string'],
    ["ok\n  {{.State.Pid.X}}", 'template: :2:10: executing "" at <.State.Pid.X>: can\'t evaluate field X in type int'],
    ["{{index .Args 5}}", 'template: :1:2: executing "" at <index .Args 5>: error calling index: index out of range: 5'],
    ['{{index .Args "x"}}', 'template: :1:2: executing "" at <index .Args "x">: error calling index: cannot index slice/array with type string'],
    ["{{upper .Missing}}", 'template: :1:8: executing "" at <.Missing>: invalid value; expected string'],
    ["{{upper .State.Pid}}", 'template: :1:14: executing "" at <.State.Pid>: wrong type for value; expected string; got int'],
    ["{{upper 1 2}}", 'template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 2'],
    ["{{.Name 1}}", 'template: :1:2: executing "" at <.Name>: Name is not a method but has arguments'],
    ['{{eq .Name 1}}', 'template: :1:2: executing "" at <eq .Name 1>: error calling eq: incompatible types for comparison'],
    ["{{len .State.Pid}}", 'template: :1:2: executing "" at <len .State.Pid>: error calling len: len of type int'],
    ["{{range .Name}}{{end}}", 'template: :1:8: executing "" at <.Name>: range can\'t iterate over /web'],
    ["{{nil}}", 'template: :1:2: executing "" at <nil>: nil is not a command'],
  ])("%j", (tpl, msg) => {
    expect(failure(tpl)).toBe(msg);
  });

  test("errors carry line and byte column", () => {
    try {
      renderTemplate("é\n ↑{{.Name.X}}", container);
      throw new Error("not reached");
    } catch (e) {
      expect(e).toBeInstanceOf(TemplateError);
      expect((e as TemplateError).line).toBe(2);
      expect((e as TemplateError).column).toBe(11);
    }
  });
});

describe("parseTemplate", () => {
  test("parses once, executes many times", () => {
    const t = parseTemplate("{{.Name}}:{{.State.Status}}");
    expect(t.execute(container)).toBe("/web:running");
    expect(t.execute({ Name: "/db", State: { Status: "exited" } })).toBe("/db:exited");
    expect(t.source).toBe("{{.Name}}:{{.State.Status}}");
  });
});
