// How the modes of a run compare at each scale: every mode against the fastest one there, from
// the run's own rows ("at 10,000 services the iptables first packet costs 7.8× ipvs's"). The
// modes come from the run; nothing here names one. Shared by the report's headline and table
// and by the terminal summary.
import type { ResultRow } from '../metrics/results.ts';
import { unitLabel } from '../metrics/units.ts';
import { series, sortModes } from './data.ts';

/** What is compared, in order of preference: the first the run has rows for is used. */
export const RATIO_METRICS = [
  { metric: 'first_packet.latency', clock: 'simulated', statistic: 'p50', what: 'first packet' },
  { metric: 'lookup.latency', clock: 'simulated', statistic: 'mean', what: 'rule lookup' },
] as const;

export interface ModeCost {
  mode: string;
  value: number;
  /** value / the fastest mode's value at this scale (1 for the fastest). */
  ratio: number;
}

export interface ScaleRatios {
  scale: number;
  fastest: string;
  /** Every mode measured at this scale, in the run's mode order. */
  modes: ModeCost[];
}

export interface ModeRatios {
  metric: string;
  clock: string;
  statistic: string;
  /** "first packet", "rule lookup". */
  what: string;
  unit: string;
  modes: string[];
  scales: ScaleRatios[];
}

/** Per scale with two or more modes, each mode's cost relative to the fastest; null when no metric has two modes at one scale. */
export function modeRatios(rows: ResultRow[], which: (typeof RATIO_METRICS)[number][] = [...RATIO_METRICS]): ModeRatios | null {
  for (const m of which) {
    const pts = series(rows, m.metric, m.clock, m.statistic).filter((p) => p.value > 0);
    const modes = sortModes(pts.map((p) => p.mode));
    const scales: ScaleRatios[] = [];
    for (const scale of [...new Set(pts.map((p) => p.scale))].sort((a, b) => a - b)) {
      const at = modes.flatMap((mode) => pts.filter((p) => p.mode === mode && p.scale === scale));
      if (at.length < 2) continue;
      const fastest = at.reduce((a, b) => (b.value < a.value ? b : a));
      scales.push({
        scale,
        fastest: fastest.mode,
        modes: at.map((p) => ({ mode: p.mode, value: p.value, ratio: p.value / fastest.value })),
      });
    }
    if (scales.length > 0) {
      const unit = unitLabel(rows.find((r) => r.metric === m.metric && r.clock === m.clock)?.unit ?? '');
      return { ...m, unit, modes, scales };
    }
  }
  return null;
}

/** "7.8×", "1.02×", "120×". */
export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return '—';
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/**
 * One sentence at the run's largest scale with two or more modes: "At 50,000 services the first
 * packet (simulated p50) costs 34.4× ipvs's in iptables and 33.4× in userspace."
 */
export function ratioSentence(r: ModeRatios): string {
  const at = r.scales[r.scales.length - 1];
  const slower = at.modes.filter((m) => m.mode !== at.fastest).sort((a, b) => b.ratio - a.ratio);
  const parts = slower.map((m, i) => (i === 0 ? `${fmtRatio(m.ratio)} ${at.fastest}'s in ${m.mode}` : `${fmtRatio(m.ratio)} in ${m.mode}`));
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts[0];
  return `At ${at.scale.toLocaleString('en-US')} services the ${r.what} (${r.clock} ${r.statistic}) costs ${list}.`;
}

/** The terminal's "vs fastest" cell of one mode at one scale: "34.4× ipvs", "fastest", or "". */
export function ratioCell(r: ModeRatios | null, mode: string, scale: number): string {
  const at = r?.scales.find((s) => s.scale === scale);
  const m = at?.modes.find((x) => x.mode === mode);
  if (!at || !m) return '';
  return m.mode === at.fastest ? 'fastest' : `${fmtRatio(m.ratio)} ${at.fastest}`;
}
