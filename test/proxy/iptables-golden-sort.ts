// The normalisation kube-proxy's golden tests apply before comparing rulesets
// (pkg/proxy/iptables/proxier_test.go, sortIPTablesRules + IPTablesDump.String() from
// pkg/util/iptables/testing/parse.go), re-implemented here: tables by name; chains with
// KUBE-NODEPORTS first, then KUBE-SERVICES, then other KUBE-* by name, then the rest by name;
// the rules of KUBE-NODEPORTS and KUBE-SERVICES stably sorted by the service name in their
// comment (nat KUBE-SERVICES keeps its "must be the last rule" rule last); then all chain
// lines, all rules chain by chain, the -X lines, COMMIT.
import { splitArgs } from '../../src/netfilter/index.ts';

interface Chain {
  name: string;
  decl: string;
  rules: string[];
  deleted: boolean;
}

interface Table {
  name: string;
  chains: Chain[];
}

function parse(text: string): Table[] {
  const tables: Table[] = [];
  let t: Table | null = null;
  for (const raw of text.trim().split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) tables.push((t = { name: line.slice(1), chains: [] }));
    else if (line === 'COMMIT') t = null;
    else if (line.startsWith(':')) t!.chains.push({ name: line.slice(1).split(' ')[0], decl: line, rules: [], deleted: false });
    else if (line.startsWith('-A ')) chainOf(t!, line.split(' ')[1]).rules.push(line);
    else if (line.startsWith('-X ')) chainOf(t!, line.slice(3)).deleted = true;
    else throw new Error(`unexpected line ${JSON.stringify(line)}`);
  }
  return tables;
}

function chainOf(t: Table, name: string): Chain {
  const c = t.chains.find((x) => x.name === name);
  if (!c) throw new Error(`rule for undeclared chain ${name}`);
  return c;
}

function chainRank(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'KUBE-NODEPORTS') return -1;
  if (b === 'KUBE-NODEPORTS') return 1;
  if (a === 'KUBE-SERVICES') return -1;
  if (b === 'KUBE-SERVICES') return 1;
  const ka = a.startsWith('KUBE-');
  const kb = b.startsWith('KUBE-');
  if (ka !== kb) return ka ? -1 : 1;
  return a < b ? -1 : 1;
}

function comment(rule: string): string | null {
  const args = splitArgs(rule);
  const i = args.indexOf('--comment');
  return i >= 0 && i + 1 < args.length ? args[i + 1] : null;
}

/** The service name of a comment: up to the first space or colon. */
function serviceOf(c: string): string {
  const i = c.search(/[ :]/);
  return i < 0 ? c : c.slice(0, i);
}

function byServiceName(a: string, b: string): number {
  const ca = comment(a);
  const cb = comment(b);
  if (ca === null || cb === null) return 0;
  const sa = serviceOf(ca);
  const sb = serviceOf(cb);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

const LAST = 'must be the last rule';

export function sortIPTablesRules(text: string): string {
  const tables = parse(text).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const t of tables) {
    t.chains.sort((a, b) => chainRank(a.name, b.name));
    for (const c of t.chains) {
      if (c.name === 'KUBE-NODEPORTS' || (c.name === 'KUBE-SERVICES' && t.name === 'filter')) c.rules.sort(byServiceName);
      if (c.name === 'KUBE-SERVICES' && t.name === 'nat') {
        c.rules.sort((a, b) => {
          const la = comment(a)?.includes(LAST) ?? false;
          const lb = comment(b)?.includes(LAST) ?? false;
          if (la !== lb) return la ? 1 : -1;
          return byServiceName(a, b);
        });
      }
    }
  }
  const out: string[] = [];
  for (const t of tables) {
    out.push(`*${t.name}`);
    for (const c of t.chains) out.push(`:${c.name} - [0:0]`);
    for (const c of t.chains) out.push(...c.rules);
    for (const c of t.chains) if (c.deleted) out.push(`-X ${c.name}`);
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

/** Drops the built-in chains (and so the jump rules kube-proxy installs outside iptables-restore). */
export function withoutBuiltinChains(text: string): string {
  const builtin = new Set(['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING']);
  return text
    .split('\n')
    .filter((l) => !(l.startsWith(':') && builtin.has(l.slice(1).split(' ')[0])) && !(l.startsWith('-A ') && builtin.has(l.split(' ')[1])))
    .join('\n');
}
