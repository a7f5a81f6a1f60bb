// Shell-style globs for metric and mode names in the gate config: `*` any run of characters
// (dots included), `?` one character; everything else is literal.

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    const body = glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`);
    cache.set(glob, re);
  }
  return re;
}

export function globMatch(glob: string | undefined, value: string): boolean {
  return glob === undefined || globToRegExp(glob).test(value);
}
