// Memory per rule: the bytes kpsim's own data plane holds for each rule of the ruleset it
// programs, in steady state and at the peak of the full sync (memory.bytes_per_rule, wall clock;
// how it is measured: docs/scale.md).
import type { TopLevelSpec } from 'vega-lite';
import type { RunResults } from '../metrics/results.ts';
import { droppedNote, runScales } from './charts.ts';
import { positiveOnly, runModes, series } from './data.ts';
import { CONFIG, VL_SCHEMA, logY, modeColor, modeShape, servicesX, tooltip } from './spec-kit.ts';
import type { ChartDef } from './types.ts';

const METRIC = 'memory.bytes_per_rule';
const PANELS = [
  { statistic: 'steady', title: 'Steady state', subtitle: 'retained after the full sync, per rule' },
  { statistic: 'peak_sync', title: 'Peak during the full sync', subtitle: 'estimated, above what was live before it, per rule' },
] as const;

export function memoryChart(results: RunResults): ChartDef {
  const name = 'memory-per-rule';
  const title = 'Memory per rule vs services';
  const caption =
    "Bytes of kpsim's own memory (V8 heap plus typed arrays, after a full collection) per rule of the node's ruleset, for the modes whose size is rules. Left: what the data plane keeps after its full sync. Right: the full sync's peak above what was live before it, estimated from what the sync left and how far the heap grew (docs/scale.md). Wall clock: measured in this process on this machine, not the kernel's memory for the same rules.";
  const modes = runModes(results);
  const scales = runScales(results);
  const values: Record<string, unknown>[] = [];
  let dropped = 0;
  for (const p of PANELS) {
    const pts = positiveOnly(series(results.rows, METRIC, 'wall', p.statistic));
    dropped += pts.dropped;
    for (const x of pts.kept) values.push({ mode: x.mode, services: x.scale, panel: p.title, value: x.value });
  }
  const notes = droppedNote(dropped, METRIC);
  if (values.length === 0)
    return {
      name,
      title,
      caption,
      spec: null,
      notes: [`This run has no ${METRIC} rows (a --simulated-only run, or no mode whose size is rules), so there is no chart.`],
    };
  // Only the modes that have the metric: a mode sized in something else (IPVS virtual servers, eBPF map entries) is named in a note.
  const drawn = modes.filter((m) => values.some((v) => v.mode === m));
  const without = modes.filter((m) => !drawn.includes(m));
  if (without.length > 0)
    notes.push(
      `No line for ${without.join(', ')}: ${without.length > 1 ? 'their size is' : 'its size is'} not counted in rules (the mode's descriptor has no ruleCount).`,
    );
  const y = logY(
    'value',
    'bytes per rule (log scale)',
    values.map((v) => v.value as number),
  );
  const panels = PANELS.filter((p) => values.some((v) => v.panel === p.title)).map((p) => ({
    title: { text: p.title, subtitle: p.subtitle },
    width: 340,
    height: 240,
    transform: [{ filter: { field: 'panel', equal: p.title } }],
    layer: [
      { mark: { type: 'line' }, encoding: { x: servicesX(scales), y, color: modeColor(drawn) } },
      {
        mark: { type: 'point', size: 45, filled: true },
        encoding: {
          x: servicesX(scales),
          y,
          color: modeColor(drawn),
          shape: modeShape(drawn),
          tooltip: tooltip('value', 'bytes per rule'),
        },
      },
    ],
  }));
  const spec = {
    $schema: VL_SCHEMA,
    config: CONFIG,
    data: { values },
    hconcat: panels,
    resolve: { scale: { y: 'shared', color: 'shared', shape: 'shared' } },
  };
  return { name, title, caption, spec: spec as unknown as TopLevelSpec, notes };
}
