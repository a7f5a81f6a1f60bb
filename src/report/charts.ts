// The run's own charts: rule-lookup latency, sync time and throughput against the number of
// services, one line per proxy mode, log-log. A chart whose metric the run lacks becomes a note.
import type { TopLevelSpec } from 'vega-lite';
import type { RunResults } from '../metrics/results.ts';
import { unitLabel } from '../metrics/units.ts';
import { pointKey, positiveOnly, runModes, sampleQuartiles, series, unitOf } from './data.ts';
import { fmt } from './format.ts';
import { runCost } from './run-scenario.ts';
import { CONFIG, VL_SCHEMA, logY, modeColor, modeShape, servicesX, tooltip } from './spec-kit.ts';
import type { ChartDef } from './types.ts';

/** Every scale the run has a row at (the x-axis ticks). */
export function runScales(results: RunResults): number[] {
  const fromMeta = Array.isArray(results.meta?.scales) ? results.meta.scales.filter((s) => typeof s === 'number') : [];
  return [...new Set([...fromMeta, ...results.rows.map((r) => r.scale)])].filter((s) => Number.isFinite(s) && s > 0).sort((a, b) => a - b);
}

/** The note for values a log axis cannot show (zero or below). */
export function droppedNote(dropped: number, what: string): string[] {
  return dropped > 0
    ? [
        `${dropped} ${what} value${dropped > 1 ? 's' : ''} of zero or below left out: a log axis cannot show ${dropped > 1 ? 'them' : 'it'}.`,
      ]
    : [];
}

/** (a) Rule-lookup latency: simulated mean, and wall-clock p50 with a bar up to the p99. */
export function lookupChart(results: RunResults): ChartDef {
  const name = 'lookup-latency';
  const title = 'Rule-lookup latency vs services';
  const caption =
    "Time to find the destination of a connection's first packet. Left: simulated clock, mean ns per lookup from the cost model (deterministic). Right: wall clock, median (p50) ns per lookup of kpsim's own implementation on this machine; through each point, a thick bar spans the interquartile range (p25 to p75) of the raw wall-clock samples and a thin one their whole range (min to max), repetitions pooled (hover a point for its p99).";
  const modes = runModes(results);
  const scales = runScales(results);
  const simUnit = unitLabel(unitOf(results.rows, 'lookup.latency', 'simulated') || 'ns');
  const wallUnit = unitLabel(unitOf(results.rows, 'lookup.latency', 'wall') || 'ns');
  const sim = positiveOnly(series(results.rows, 'lookup.latency', 'simulated', 'mean'));
  const p50 = series(results.rows, 'lookup.latency', 'wall', 'p50');
  const p99 = series(results.rows, 'lookup.latency', 'wall', 'p99');
  const quartiles = sampleQuartiles(results.samples, 'lookup.latency');
  const wall = positiveOnly(
    p50.map((p) => {
      const q = quartiles.get(pointKey(p.mode, p.scale));
      const hi = p99.find((x) => x.mode === p.mode && x.scale === p.scale)?.value;
      const ok = q && q.q1 > 0 && q.min > 0;
      return {
        ...p,
        p99: hi !== undefined && hi > 0 ? hi : null,
        q1: ok ? q.q1 : null,
        q3: ok ? q.q3 : null,
        lo: ok ? q.min : null,
        hi: ok ? q.max : null,
        reps: q?.repetitions ?? p.n,
      };
    }),
  );
  const notes = [...droppedNote(sim.dropped, 'simulated'), ...droppedNote(wall.dropped, 'wall-clock')];
  const noIqr = wall.kept.filter((p) => p.q1 === null).length;
  if (noIqr > 0) {
    notes.push(
      noIqr === wall.kept.length
        ? 'results.json has no raw wall-clock lookup samples, so the wall-clock points have no spread bars.'
        : `${noIqr} of ${wall.kept.length} wall-clock points have no raw samples in results.json, so no spread bar.`,
    );
  }
  const reps = Math.max(0, ...wall.kept.map((p) => p.reps));
  if (reps === 1 && noIqr < wall.kept.length)
    notes.push(
      "1 repetition: the bars are the spread of that repetition's own tinybench samples; there is no spread between repetitions (run the sweep with --repetitions 3 for one).",
    );
  if (sim.kept.length === 0 && wall.kept.length === 0) {
    return {
      name,
      title,
      caption,
      spec: null,
      notes: ['This run has no lookup.latency rows (simulated mean or wall-clock p50), so there is no chart.'],
    };
  }
  const values = [
    ...sim.kept.map((p) => ({ mode: p.mode, services: p.scale, clock: 'simulated', value: p.value })),
    ...wall.kept.map((p) => ({
      mode: p.mode,
      services: p.scale,
      clock: 'wall',
      value: p.value,
      q1: p.q1,
      q3: p.q3,
      lo: p.lo,
      hi: p.hi,
      p99: p.p99,
    })),
  ];
  const simY = logY(
    'value',
    `mean lookup latency (${simUnit}, log scale)`,
    sim.kept.map((p) => p.value),
  );
  const wallY = logY(
    'value',
    `p50 lookup latency (${wallUnit}, log scale)`,
    wall.kept.flatMap((p) => [p.value, p.lo ?? p.value, p.hi ?? p.value]),
  );
  const panels: Record<string, unknown>[] = [];
  if (sim.kept.length > 0) {
    panels.push({
      title: { text: 'Simulated clock', subtitle: `mean ${simUnit} per first-packet lookup` },
      width: 400,
      height: 260,
      transform: [{ filter: { field: 'clock', equal: 'simulated' } }],
      layer: [
        { mark: { type: 'line' }, encoding: { x: servicesX(scales), y: simY, color: modeColor(modes) } },
        {
          mark: { type: 'point', size: 45, filled: true },
          encoding: {
            x: servicesX(scales),
            y: simY,
            color: modeColor(modes),
            shape: modeShape(modes),
            tooltip: tooltip('value', `mean (${simUnit})`),
          },
        },
      ],
    });
  } else {
    notes.push('No simulated lookup.latency rows: only the wall-clock panel is shown.');
  }
  if (wall.kept.length > 0) {
    panels.push({
      title: {
        text: 'Wall clock (this machine)',
        subtitle: `p50 ${wallUnit} per lookup; bars: p25-p75 (thick) and min-max (thin) of the samples${reps === 1 ? ', 1 repetition' : ''}`,
      },
      width: 400,
      height: 260,
      transform: [{ filter: { field: 'clock', equal: 'wall' } }],
      layer: [
        {
          transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
          mark: { type: 'rule', strokeWidth: 1, opacity: 0.4 },
          encoding: { x: servicesX(scales), y: { ...wallY, field: 'lo' }, y2: { field: 'hi' }, color: modeColor(modes) },
        },
        {
          transform: [{ filter: 'isValid(datum.q1) && isValid(datum.q3)' }],
          mark: { type: 'errorbar', ticks: { size: 7 }, thickness: 3 },
          encoding: { x: servicesX(scales), y: { ...wallY, field: 'q1' }, y2: { field: 'q3' }, color: modeColor(modes) },
        },
        { mark: { type: 'line' }, encoding: { x: servicesX(scales), y: wallY, color: modeColor(modes) } },
        {
          mark: { type: 'point', size: 45, filled: true },
          encoding: {
            x: servicesX(scales),
            y: wallY,
            color: modeColor(modes),
            shape: modeShape(modes),
            tooltip: tooltip('value', `p50 (${wallUnit})`, [
              { field: 'q1', type: 'quantitative', title: `p25 (${wallUnit})`, format: ',.4~g' },
              { field: 'q3', type: 'quantitative', title: `p75 (${wallUnit})`, format: ',.4~g' },
              { field: 'p99', type: 'quantitative', title: `p99 (${wallUnit})`, format: ',.4~g' },
              { field: 'lo', type: 'quantitative', title: `min (${wallUnit})`, format: ',.4~g' },
              { field: 'hi', type: 'quantitative', title: `max (${wallUnit})`, format: ',.4~g' },
            ]),
          },
        },
      ],
    });
  } else {
    notes.push('No wall-clock lookup.latency rows (a --simulated-only run?): only the simulated panel is shown.');
  }
  const spec = {
    $schema: VL_SCHEMA,
    config: CONFIG,
    data: { values },
    hconcat: panels,
    spacing: 24,
    resolve: { scale: { y: 'independent', color: 'shared', shape: 'shared' }, legend: { color: 'shared', shape: 'shared' } },
  };
  return { name, title, caption, spec: spec as unknown as TopLevelSpec, notes };
}

const SYNC_CHANGES = [
  { metric: 'sync.full', label: 'full sync (empty node to the whole cluster)' },
  { metric: 'sync.add_service', label: 'one change: add a service' },
  { metric: 'sync.remove_endpoint', label: 'one change: remove an endpoint' },
];

/** (b) Sync time, full and one change, per mode: simulated row of panels, then wall clock. */
export function syncChart(results: RunResults): ChartDef {
  const name = 'sync-time';
  const title = 'Sync time vs services';
  const caption =
    "Time to program the node's data plane: a full sync of the whole cluster, and a sync after one change (one service added, one endpoint removed). Top row: simulated clock, seconds from the cost model (iptables-restore lines, netlink and ipset operations). Bottom row: wall clock, milliseconds kpsim's own implementation took on this machine.";
  const modes = runModes(results);
  const scales = runScales(results);
  const notes: string[] = [];
  const rows: Record<string, unknown>[] = [];
  for (const clock of ['simulated', 'wall'] as const) {
    const stat = 'value';
    for (const c of SYNC_CHANGES) {
      const pts = positiveOnly(series(results.rows, c.metric, clock, stat));
      notes.push(...droppedNote(pts.dropped, `${clock} ${c.metric}`));
      const unit = unitLabel(unitOf(results.rows, c.metric, clock));
      for (const p of pts.kept) {
        const spread = p.n > 1 && p.min !== undefined && p.max !== undefined && p.min > 0 ? { lo: p.min, hi: p.max } : {};
        rows.push({ mode: p.mode, services: p.scale, clock, change: c.label, value: p.value, unit, reps: p.n, ...spread });
      }
    }
  }
  const present = (clock: string) =>
    SYNC_CHANGES.filter((c) => rows.some((r) => r.clock === clock && r.change === c.label)).map((c) => c.label);
  const missing = (clock: string) => SYNC_CHANGES.filter((c) => !present(clock).includes(c.label)).map((c) => c.metric);
  if (rows.length === 0)
    return {
      name,
      title,
      caption,
      spec: null,
      notes: ['This run has no sync.full, sync.add_service or sync.remove_endpoint rows, so there is no chart.'],
    };
  const panels: Record<string, unknown>[] = [];
  const op = netlinkCost(results, modes);
  const subtitles: Record<string, string> = op
    ? {
        simulated: `${op.mode}: ${fmt(op.value / 1000)} µs per netlink operation, an assumed price (see the notes below)`,
        wall: `${op.mode}: one change still visits every service, as kube-proxy does (see the notes below)`,
      }
    : {};
  for (const clock of ['simulated', 'wall'] as const) {
    const labels = present(clock);
    if (labels.length === 0) {
      notes.push(`No ${clock}-clock sync rows: the ${clock} panel is left out.`);
      continue;
    }
    if (missing(clock).length > 0) notes.push(`No ${clock}-clock rows for ${missing(clock).join(', ')}.`);
    const unit = (rows.find((r) => r.clock === clock)?.unit as string) || (clock === 'simulated' ? 's' : 'ms');
    const mine = rows.filter((r) => r.clock === clock);
    const y = logY(
      'value',
      `sync time (${unit}, log scale)`,
      mine.flatMap((r) => [
        r.value as number,
        (r.lo as number | undefined) ?? (r.value as number),
        (r.hi as number | undefined) ?? (r.value as number),
      ]),
      ',~g',
    );
    const reps = Math.max(...mine.map((r) => r.reps as number));
    if (clock === 'wall')
      notes.push(
        reps > 1
          ? `Wall clock: each point is the mean of ${reps} repetitions; the bar through it spans the fastest to the slowest.`
          : 'Wall clock: 1 repetition, one timing per sync, so no spread to show (run the sweep with --repetitions 3 for one).',
      );
    const spreadLayer =
      reps > 1
        ? [
            {
              transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
              mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.7 },
              encoding: { x: servicesX(scales, 'services'), y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: modeColor(modes) },
            },
          ]
        : [];
    panels.push({
      title: {
        text: clock === 'simulated' ? 'Simulated clock' : 'Wall clock (this machine)',
        subtitle: [`${unit} per sync, log scale; panels share the y axis`, ...(subtitles[clock] ? [subtitles[clock]] : [])],
      },
      transform: [{ filter: { field: 'clock', equal: clock } }],
      facet: {
        column: { field: 'change', type: 'nominal', sort: labels, title: null, header: { labelFontSize: 11, labelFontWeight: 'bold' } },
      },
      spacing: 12,
      spec: {
        width: 250,
        height: 200,
        layer: [
          ...spreadLayer,
          { mark: { type: 'line' }, encoding: { x: servicesX(scales, 'services'), y, color: modeColor(modes) } },
          {
            mark: { type: 'point', size: 40, filled: true },
            encoding: {
              x: servicesX(scales, 'services'),
              y,
              color: modeColor(modes),
              shape: modeShape(modes),
              tooltip: tooltip('value', `sync time (${unit})`, [{ field: 'change', type: 'nominal', title: 'sync' }]),
            },
          },
        ],
      },
      resolve: { scale: { y: 'shared' } },
    });
  }
  notes.push(...netlinkSyncNotes(results, modes));
  const spec = {
    $schema: VL_SCHEMA,
    config: CONFIG,
    data: { values: rows },
    vconcat: panels,
    spacing: 28,
    resolve: { scale: { y: 'independent', color: 'shared', shape: 'shared' }, legend: { color: 'shared', shape: 'shared' } },
  };
  return { name, title, caption, spec: spec as unknown as TopLevelSpec, notes };
}

/** The netlink price of IPVS-style syncs, when the run has the mode that owns it. */
function netlinkCost(results: RunResults, modes: string[]) {
  const op = runCost(results, 'ipvsNetlinkOpNs');
  return op?.mode && modes.includes(op.mode) ? { ...op, mode: op.mode } : null;
}

/**
 * What the sync chart shows about the mode priced per netlink operation (IPVS) and would
 * otherwise leave unexplained: its simulated sync is an assumed price per operation, cited from
 * the cost model's own source text, and its wall-clock one-change sync grows with the services
 * because the sync loop visits every service (docs/ipvs.md).
 */
function netlinkSyncNotes(results: RunResults, modes: string[]): string[] {
  const op = netlinkCost(results, modes);
  if (!op) return [];
  const us = (ns: number) => `${fmt(ns / 1000)} µs`;
  return [
    `${op.mode} on the simulated clock: a sync costs its netlink operations (each virtual or real server added, changed or removed) at ${us(op.value)} each (${op.overridden ? "set by this run's scenario" : 'the default'}), plus its ipset members added or removed. The default is an assumption, not a measurement; the cost model gives its source as: "${op.source}". That price alone decides how ${op.mode} full sync compares with the other modes: a scenario's costModel (ipvsNetlinkOpNs), or a calibration on real hardware, replaces it.`,
    `${op.mode} on the wall clock: one change still costs time in proportion to the services, because the sync visits every service, as kube-proxy's IPVS proxier does on every sync (syncProxyRules rebuilds every ipset member list, reads back each virtual server with GetVirtualServer and its real servers with GetRealServers, and lists each ipset); only the kernel writes are few, and they are what the simulated clock prices. kpsim also rebuilds its service map from the whole cluster snapshot each sync, where kube-proxy's change trackers convert only the changed objects (docs/ipvs.md).`,
  ];
}

/** (c) Throughput: simulated packets per second one node core forwards. */
export function throughputChart(results: RunResults): ChartDef {
  const name = 'throughput';
  const title = 'Throughput vs services';
  const caption =
    "Packets per second one node core can forward through the proxy under the scenario's workload: the simulated CPU cost per packet (first-packet lookups, conntrack hits, userspace copies) inverted. Simulated clock.";
  const modes = runModes(results);
  const scales = runScales(results);
  const unit = unitLabel(unitOf(results.rows, 'throughput.node_core', 'simulated') || 'packets/s');
  const pts = positiveOnly(series(results.rows, 'throughput.node_core', 'simulated', 'value'));
  if (pts.kept.length === 0)
    return { name, title, caption, spec: null, notes: ['This run has no simulated throughput.node_core rows, so there is no chart.'] };
  const y = logY(
    'value',
    `throughput (${unit}, log scale)`,
    pts.kept.map((p) => p.value),
  );
  const spec = {
    $schema: VL_SCHEMA,
    config: CONFIG,
    title: { text: 'Simulated clock', subtitle: `${unit} per node core` },
    data: { values: pts.kept.map((p) => ({ mode: p.mode, services: p.scale, value: p.value })) },
    width: 460,
    height: 260,
    layer: [
      { mark: { type: 'line' }, encoding: { x: servicesX(scales), y, color: modeColor(modes) } },
      {
        mark: { type: 'point', size: 45, filled: true },
        encoding: { x: servicesX(scales), y, color: modeColor(modes), shape: modeShape(modes), tooltip: tooltip('value', unit) },
      },
    ],
  };
  return { name, title, caption, spec: spec as unknown as TopLevelSpec, notes: droppedNote(pts.dropped, 'throughput') };
}
