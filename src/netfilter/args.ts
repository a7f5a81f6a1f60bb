// Splitting rule text into arguments and quoting arguments back, the way
// iptables-restore reads them and iptables-save / kube-proxy write them.

/**
 * Splits rule text into arguments. Double quotes group words; inside quotes a backslash
 * escapes the next character (iptables-restore's add_param_to_argv does the same).
 */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    let tok = '';
    let quoted = false;
    while (i < n) {
      const ch = text[i];
      if (quoted) {
        if (ch === '\\' && i + 1 < n) {
          tok += text[i + 1];
          i += 2;
          continue;
        }
        if (ch === '"') {
          quoted = false;
          i++;
          continue;
        }
        tok += ch;
        i++;
        continue;
      }
      if (isSpace(text.charCodeAt(i))) break;
      if (ch === '"') quoted = true;
      else tok += ch;
      i++;
    }
    if (quoted) throw new Error(`unterminated quoted string in ${JSON.stringify(text)}`);
    out.push(tok);
  }
  return out;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * Quotes an argument only when iptables-restore would otherwise split it or misread it
 * (whitespace, quotes, backslash, empty). This is how kube-proxy writes comments:
 * `--comment ns1/svc1:p80` bare, `--comment "ns1/svc1:p80 cluster IP"` quoted.
 */
export function quoteArg(arg: string): string {
  if (arg !== '' && !/[\s"'\\]/.test(arg)) return arg;
  return `"${arg.replace(/["\\]/g, (c) => '\\' + c)}"`;
}

/**
 * Quotes like iptables-save prints string options (xtables_save_string): bare only when the
 * value is entirely [A-Za-z0-9_-], otherwise double-quoted with `"`, `\` and `'` escaped.
 * So a real iptables-save prints `--comment "ns1/svc1:p80"` even without spaces.
 */
export function quoteArgSaveStyle(arg: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(arg)) return arg;
  return `"${arg.replace(/["\\']/g, (c) => '\\' + c)}"`;
}

/** Options whose value is free text and gets save-style quoting in `quoteStyle: 'iptables-save'`. */
const STRING_OPTIONS = new Set(['--comment', '--log-prefix']);

export type QuoteStyle = 'kube-proxy' | 'iptables-save';

/** Joins arguments into rule text, quoting as `style` does (default: kube-proxy / minimal). */
export function joinArgs(args: readonly string[], style: QuoteStyle = 'kube-proxy'): string {
  const parts: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const prev = i > 0 ? args[i - 1] : '';
    parts.push(style === 'iptables-save' && STRING_OPTIONS.has(prev) ? quoteArgSaveStyle(a) : quoteArg(a));
  }
  return parts.join(' ');
}
