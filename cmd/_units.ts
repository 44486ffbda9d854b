// Sizes as Docker prints them (github.com/docker/go-units): BytesSize for
// memory ("1.5MiB", %.4g, base 1024) and HumanSizeWithPrecision(_, 3) for
// I/O ("1.23MB", %.3g, base 1000), with Go's %g spelling.

/** Go's fmt %.{prec}g: shortest form, no trailing zeros, exponent when exp < -4 or exp >= prec ("1e+03"). */
export function goG(x: number, prec: number): string {
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : x < 0 ? "-Inf" : "NaN";
  const [mant, expPart] = x.toExponential(prec - 1).split("e");
  const exp = Number(expPart);
  const trim = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (exp < -4 || exp >= prec) return `${trim(mant!)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return trim(x.toFixed(Math.max(0, prec - 1 - exp)));
}

const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
const DECIMAL = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

function customSize(prec: number, size: number, base: number, units: string[]): string {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return `${goG(size, prec)}${units[i]}`;
}

export const bytesSize = (n: number) => customSize(4, n, 1024, BINARY);
export const humanSize = (n: number) => customSize(3, n, 1000, DECIMAL);

/** The inverse, for tests and scripts reading `stats` output: "1.5MiB" -> 1572864. */
export function parseShownSize(s: string): number {
  const m = /^([\d.e+-]+)\s*([kKMGTPEZY]?i?B)$/.exec(s.trim());
  if (!m) return Number.NaN;
  const unit = m[2]!;
  const list = unit.includes("i") ? BINARY : DECIMAL;
  const base = unit.includes("i") ? 1024 : 1000;
  const i = list.indexOf(unit);
  return Number(m[1]) * base ** Math.max(0, i);
}
