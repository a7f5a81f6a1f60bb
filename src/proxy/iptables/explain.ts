// A readable walk-through of one traced packet: each hook, each chain entered (indented by
// jump depth, as `iptables -L -t nat` would let you follow it by hand) and the rule that
// matched there, then the outcome.
import type { PacketOrigin } from '../types.ts';
import type { HookTrace } from './hook-walk.ts';
import type { DetailedTrace } from './ruleset-plane.ts';

const ORIGIN: Record<PacketOrigin, string> = {
  forwarded: 'from a pod or the network: enters nat PREROUTING',
  local: 'from the node itself: enters nat OUTPUT',
};

export function explainTrace(header: string, origin: PacketOrigin, t: DetailedTrace): string {
  const out = [`${header} (${ORIGIN[origin]})`];
  for (const h of t.hooks) out.push(...explainHook(h));
  const r = t.result;
  const eps = r.endpoints.length === 0 ? '' : ` -> ${r.endpoints.join(', ')}`;
  const verdict = r.verdict === 'NONE' ? 'NONE (no rule decided; the packet goes on unchanged)' : r.verdict;
  const lookup = t.hooks[0] ? ` in ${t.hooks[0].table} ${t.hooks[0].chain}` : '';
  out.push(`verdict: ${verdict}${eps}; ${r.masquerade ? 'masqueraded' : 'not masqueraded'}; ${r.rulesEvaluated} rules evaluated${lookup}`);
  if (r.uncertain)
    out.push('uncertain: the walk reached rules kpsim does not model (see the warnings); the real kernel may decide otherwise');
  return out.join('\n');
}

function explainHook(h: HookTrace): string[] {
  const out = [`  ${h.table} ${h.chain}: ${h.rulesEvaluated} rule${h.rulesEvaluated === 1 ? '' : 's'} evaluated`];
  // Chains are entered only through matched jumps, so the stack of chains follows the matches.
  const stack = [h.chain];
  for (const m of h.matched) {
    const at = stack.lastIndexOf(m.chain);
    if (at >= 0) stack.length = at + 1;
    else stack.push(m.chain);
    out.push(`${'  '.repeat(stack.length + 1)}${m.chain} #${m.index}: ${m.text}`);
    const jump = /(?:^| )-[jg] (\S+)$/.exec(m.text);
    if (jump && /^[A-Z0-9_-]+$/.test(jump[1]) && jump[1].includes('-')) stack.push(jump[1]);
  }
  const end = h.verdict !== 'NONE' ? `${h.verdict}${h.byPolicy ? ' (chain policy)' : ''}` : 'no verdict, the packet continues';
  out.push(`    => ${end}`);
  return out;
}
