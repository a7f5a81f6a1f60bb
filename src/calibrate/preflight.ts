// What calibration needs before it starts: root (for `unshare --net`), the tools, and the
// kernel features, probed in a scratch namespace. A missing piece stops the run with a message
// that says what is missing and which constants it would have measured.
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../util/errors.ts';
import { runInNamespace, type StepResult } from './netns.ts';
import type { Backend } from './plans.ts';

/** The constants each group measures, for messages (proposals in brackets). */
export const GROUP_CONSTANTS: Record<string, string[]> = {
  'iptables-nft': ['iptablesRuleNs', 'iptablesRestoreLineNs'],
  'iptables-legacy': ['iptablesLegacyRuleSquaredNs', 'iptablesInvocationNs'],
  nftables: ['nftablesMapLookupNs', '(nftablesLoadElementNs)'],
  conntrack: ['conntrackLookupNs', 'conntrackInsertNs', 'packetBaseNs'],
};

const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

/** The executable `name` on PATH (or in the sbin folders a non-login root may lack), or null. */
export function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...EXTRA_DIRS];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** Debian's python3 (/usr/bin/python3) first: a user's own interpreter may be something else. */
export function findPython(): string | null {
  try {
    accessSync('/usr/bin/python3', constants.X_OK);
    return '/usr/bin/python3';
  } catch {
    return findTool('python3');
  }
}

export interface Preflight {
  python: string;
  versions: Record<string, string>;
  /** IPVS is in the kernel (/proc/net/ip_vs exists in a namespace). */
  ipvs: boolean;
}

/** Refuses (exit 2) unless everything `backends` and the other groups need is here. */
export async function preflight(backends: readonly Backend[]): Promise<Preflight> {
  const problems: string[] = [];
  const lost = new Set<string>();
  const lose = (groups: string[]) => groups.forEach((g) => GROUP_CONSTANTS[g]?.forEach((c) => lost.add(c)));
  const all = Object.keys(GROUP_CONSTANTS);
  if (process.getuid?.() !== 0) {
    problems.push('needs root: it runs the real iptables and nft in a throwaway network namespace (`unshare --net`)');
    lose(all);
  }
  const python = findPython();
  for (const [tool, what] of [
    ['unshare', 'util-linux'],
    ['ip', 'iproute2'],
  ] as const)
    if (!findTool(tool)) {
      problems.push(`${tool} not found (Debian package ${what})`);
      lose(all);
    }
  if (!python) {
    problems.push('python3 not found (Debian package python3): it runs the timing loops inside the namespace');
    lose(all);
  }
  const need = (tool: string, pkg: string, groups: string[]) => {
    if (findTool(tool)) return true;
    problems.push(`${tool} not found (Debian package ${pkg})`);
    lose(groups);
    return false;
  };
  for (const b of backends)
    if (need(`iptables-${b}`, 'iptables', [`iptables-${b}`])) need(`iptables-${b}-restore`, 'iptables', [`iptables-${b}`]);
  need('nft', 'nftables', ['nftables', 'conntrack']);
  if (problems.length) throw refusal(problems, lost);

  // Kernel features, asked inside a scratch namespace.
  const steps = [
    ...backends.map((b) => ({ op: 'run' as const, argv: [`iptables-${b}`, '-t', 'nat', '-S'], allowFail: true, label: `feature:${b}` })),
    { op: 'run' as const, argv: ['nft', 'list', 'tables'], allowFail: true, label: 'feature:nft' },
    { op: 'read' as const, path: '/proc/sys/net/netfilter/nf_conntrack_max', label: 'feature:conntrack' },
    { op: 'read' as const, path: '/proc/net/ip_vs', label: 'feature:ipvs' },
    ...[...backends.map((b) => `iptables-${b}`), 'nft'].map((t) => ({
      op: 'run' as const,
      argv: [t, '--version'],
      allowFail: true,
      label: `version:${t}`,
    })),
    { op: 'run' as const, argv: [python!, '--version'], allowFail: true, label: 'version:python3' },
  ];
  let res: StepResult[];
  try {
    res = await runInNamespace(python!, steps, 60_000);
  } catch (err) {
    throw refusal([`cannot use a throwaway network namespace: ${(err as Error).message}`], new Set(all.flatMap((g) => GROUP_CONSTANTS[g])));
  }
  const by = new Map(res.map((r) => [r.label, r]));
  const failed = (label: string) => (by.get(label)?.rc ?? 1) !== 0;
  for (const b of backends)
    if (failed(`feature:${b}`)) {
      problems.push(
        `iptables-${b} cannot use the nat table here (kernel module missing?): ${by.get(`feature:${b}`)?.stderr?.trim().split('\n')[0] ?? ''}`,
      );
      lose([`iptables-${b}`]);
    }
  if (failed('feature:nft')) {
    problems.push(
      `nft cannot talk to nf_tables here (kernel module missing?): ${by.get('feature:nft')?.stderr?.trim().split('\n')[0] ?? ''}`,
    );
    lose(['nftables', 'conntrack']);
  }
  if (!by.get('feature:conntrack')?.text) {
    problems.push('no conntrack in this kernel (/proc/sys/net/netfilter/nf_conntrack_max is missing: module nf_conntrack absent?)');
    lose(['conntrack']);
  }
  if (problems.length) throw refusal(problems, lost);
  const versions: Record<string, string> = {};
  for (const r of res)
    if (r.label?.startsWith('version:') && r.rc === 0) versions[r.label.slice(8)] = (r.stdout || r.stderr || '').trim().split('\n')[0];
  return { python: python!, versions, ipvs: Boolean(by.get('feature:ipvs')?.text) };
}

/** The refusal, with a hint when only an iptables backend is missing (--backends can leave it out). */
function refusal(problems: string[], lost: Set<string>): InputError {
  const backendHint = problems.every((p) => p.startsWith('iptables-'));
  return new InputError(
    `calibrate cannot run here:\n  - ${problems.join('\n  - ')}\nnot measured: ${[...lost].join(', ')}` +
      (backendHint ? '\n(--backends nft or --backends legacy measures one iptables backend only)' : ''),
  );
}

/** CONFIG_IRQ_TIME_ACCOUNTING from /proc/config.gz (null when the kernel does not expose its config). */
export function irqTimeAccounting(): boolean | null {
  try {
    const text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
    return /^CONFIG_IRQ_TIME_ACCOUNTING=y$/m.test(text);
  } catch {
    return null;
  }
}
