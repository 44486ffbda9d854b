// Splitting a command written as one string ("nginx -g 'daemon off;'") into
// argv, with the quoting a shell user expects and nothing more: no variables,
// globs or pipes. Anyone who needs those writes ["sh", "-c", "..."].

import { SpecError } from "./errors.ts";

/**
 * Whitespace separates words; '...' is literal; "..." allows \" \\ \$ \`
 * escapes; a backslash outside quotes escapes the next character.
 */
export function splitShellWords(s: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  const unterminated = (q: string) => new SpecError(`unterminated ${q} quote in ${JSON.stringify(s)}`);
  while (i < s.length) {
    const c = s[i] ?? "";
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw unterminated("single");
      word += s.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      for (;;) {
        if (i >= s.length) throw unterminated("double");
        const d = s[i] ?? "";
        if (d === '"') break;
        const next = s[i + 1] ?? "";
        if (d === "\\" && '"\\$`'.includes(next) && next !== "") {
          word += next;
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else if (c === "\\") {
      if (i + 1 >= s.length) throw new SpecError(`trailing backslash in ${JSON.stringify(s)}`);
      word += s[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
