// docker pull's progress display: on a terminal, one line per layer updated
// in place (with a byte bar while it downloads), as Docker's jsonmessage
// does; elsewhere, one line per status change and no byte counts.
import { type PullProgress, progressBar, progressLine } from "../image/progress.ts";
import { write } from "./_shared.ts";

export function progressPrinter(tty: boolean): (p: PullProgress) => void {
  if (!tty) {
    return (p) => {
      const l = progressLine(p);
      if (l !== undefined) write(1, `${l}\n`);
    };
  }
  const ids: string[] = [];
  return (p) => {
    const text = `${p.id ? `${p.id}: ` : ""}${p.status}${p.current !== undefined ? ` ${progressBar(p.current, p.total ?? 0)}` : ""}`;
    if (!p.id) {
      ids.length = 0; // a line without an id ends the block of layer lines
      write(1, `${text}\n`);
      return;
    }
    const at = ids.indexOf(p.id);
    if (at < 0) {
      ids.push(p.id);
      write(1, `${text}\n`);
      return;
    }
    const up = ids.length - at;
    write(1, `\x1b[${up}A\r\x1b[2K${text}\x1b[${up}B\r`);
  };
}
