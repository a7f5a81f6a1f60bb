// A data plane read from a real node's `iptables-save` output: the same packet walks as the
// generated rules get, over whatever the dump holds (kube-proxy, CNI, Docker chains...).
import { lintRuleset, NetfilterParseError, parseIptablesSave, type Ruleset, writeIptablesSave } from '../../netfilter/index.ts';
import { lineColumn } from '../../util/data-text.ts';
import type { Rng } from '../../engine/rng.ts';
import { InputError } from '../../util/errors.ts';
import type { DataPlane, DataPlaneStats, LookupResult, Packet, PacketOrigin, SyncWork, TraceResult } from '../types.ts';
import { type DetailedTrace, RulesetPlane } from './ruleset-plane.ts';

export class IptablesDumpPlane implements DataPlane {
  readonly mode = 'iptables' as const;
  private readonly plane: RulesetPlane;

  /**
   * @param localIPs the node's addresses (127.0.0.1 is always local).
   * @param masqueradeMark kube-proxy's masquerade mark bits (1 << masqueradeBit).
   */
  constructor(text: string, localIPs: number[], masqueradeMark = 0x4000, file?: string) {
    let rs;
    try {
      rs = parseIptablesSave(text);
    } catch (err) {
      if (err instanceof NetfilterParseError) throw new InputError(err.message, file);
      throw err;
    }
    try {
      this.plane = new RulesetPlane(rs, { localIPs: new Set([...localIPs, 0x7f000001]), masqueradeMark });
    } catch (err) {
      // The kernel refuses a ruleset with a jump loop (ELOOP); so does the compiler.
      throw new InputError((err as Error).message, file);
    }
    this.notModelled = notModelled(this.plane.ruleset, text);
  }

  /** What the dump holds that walks cannot evaluate: one line per kind, with its first line in the dump. */
  readonly notModelled: string[];

  trace(packet: Packet, origin: PacketOrigin): TraceResult {
    return this.plane.trace(packet, origin);
  }

  traceDetailed(packet: Packet, origin: PacketOrigin): DetailedTrace {
    return this.plane.traceDetailed(packet, origin);
  }

  lookup(packet: Packet, origin: PacketOrigin, rng: Rng, out: LookupResult): LookupResult {
    return this.plane.lookup(packet, origin, rng, out);
  }

  sync(): SyncWork {
    throw new Error('a data plane loaded from an iptables-save dump has no cluster to sync from');
  }

  stats(): DataPlaneStats {
    const { rules, chains } = this.plane.counts();
    return { iptables_rules: rules, iptables_chains: chains };
  }

  /** The dump written back: byte-identical to the input when nothing changed. */
  render(format: string): string {
    if (format !== 'iptables-save')
      throw new InputError(`an iptables-save dump has no ${format} output (formats: iptables-save)`, undefined, 'format', format);
    return writeIptablesSave(this.plane.ruleset);
  }
}

/** lintRuleset's findings, once per kind, each with the line of its first rule. */
function notModelled(rs: Ruleset, text: string): string[] {
  const seen = new Map<string, string>();
  for (const issue of lintRuleset(rs)) {
    if (issue.index === 0) continue; // jump loops were refused above
    const kind = issue.message;
    if (seen.has(kind)) continue;
    const rule = rs.tables.find((t) => t.name === issue.table)?.byName.get(issue.chain)?.rules[issue.index - 1];
    const line = rule ? `-A ${issue.chain} ${rule.text}` : '';
    const at = line ? text.indexOf(line) : -1;
    seen.set(kind, `${kind}${at >= 0 ? ` (line ${lineColumn(text, at).line}: ${line})` : ''}; traces that reach it are marked uncertain`);
  }
  return [...seen.values()];
}
