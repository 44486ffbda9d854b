// A pull's progress as data, and the two ways Docker shows it: a line of
// text per status change, and the byte bar of a terminal (and of the API's
// "progress" field). Pure.

export interface PullProgress {
  /** the layer's short digest, or the tag for "Pulling from" */
  id?: string;
  status: string;
  /** bytes so far and in all, for "Downloading" */
  current?: number;
  total?: number;
}

/** A progress event as a line of text (docker pull's output when not on a terminal); none for byte counts. */
export function progressLine(p: PullProgress): string | undefined {
  if (p.current !== undefined) return undefined;
  return p.id ? `${p.id}: ${p.status}` : p.status;
}

const BAR = 50;

/** Go's units.HumanSize: 4 significant digits, powers of 1000. */
function mb(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${Number(n.toPrecision(4))}${units[i]}`;
}

/** Docker's `[=====>     ]  1.2MB/3.4MB`. */
export function progressBar(current: number, total: number): string {
  const done = total > 0 ? Math.min(BAR, Math.floor((current / total) * BAR)) : 0;
  const bar = `${"=".repeat(Math.max(0, done - 1))}${done > 0 ? (done === BAR ? "=" : ">") : ""}${" ".repeat(BAR - done)}`;
  return `[${bar}] ${mb(current).padStart(8)}/${mb(total)}`;
}

