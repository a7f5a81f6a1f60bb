// Parse errors that say where (line), what (token) and why.

export class NetfilterParseError extends Error {
  constructor(
    readonly reason: string,
    readonly token: string | null = null,
    readonly line: number | null = null,
  ) {
    super(line === null ? reason : `line ${line}: ${reason}`);
    this.name = 'NetfilterParseError';
  }

  /** The same error located at `line` of an iptables-save text. */
  atLine(line: number): NetfilterParseError {
    return new NetfilterParseError(this.reason, this.token, line);
  }
}

/** Throws a NetfilterParseError about `token`. */
export function fail(reason: string, token: string | null = null): never {
  throw new NetfilterParseError(reason, token);
}
