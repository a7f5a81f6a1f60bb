// What every reproduction chart shares (data-plane and control-plane alike): how kpsim's line and
// a published value are drawn, finding a published figure, and the note shown when it is absent.
import type { TopLevelSpec } from 'vega-lite';
import type { PublishedFigure, PublishedFigures } from './published.ts';
import { CONFIG, VL_SCHEMA, servicesX } from './spec-kit.ts';
import type { Block } from './types.ts';

/** kpsim's own series: a line with small filled points. */
export const KPSIM_LINE = { type: 'line', point: { size: 22, filled: true }, strokeWidth: 2 };
/** A published value: a large outlined point, so it reads as a measurement, not a curve. */
export const PUBLISHED_MARK = { type: 'point', filled: true, size: 130, stroke: '#111', strokeWidth: 1, opacity: 1 };

export function figure(pub: PublishedFigures, id: string): PublishedFigure | undefined {
  return pub.figures.find((f) => f.id === id);
}

/** The chart's place in the page, with a note saying why there is nothing to compare with. */
export function missingFigure(name: string, title: string, id: string, pub: PublishedFigures): Block {
  const why = pub.error ? pub.error : `figure "${id}" is not in ${pub.file}`;
  return { chart: { name, title, caption: '', spec: null, notes: [`No published figure to compare with: ${why}.`] } };
}

/** A chart layer; `noX` marks a published value without a cluster size (drawn across the width). */
export type ReproLayer = Record<string, unknown> & { noX?: boolean };

/**
 * Layers over one services axis. The axis is shared from the top unless a layer must span the
 * width; then every other layer carries it itself.
 */
export function layered(
  title: string,
  subtitle: string,
  values: Record<string, unknown>[],
  scales: number[],
  layers: ReproLayer[],
): TopLevelSpec {
  const x = servicesX(scales);
  const spanning = layers.some((l) => l.noX);
  return {
    $schema: VL_SCHEMA,
    config: CONFIG,
    title: { text: title, subtitle },
    data: { values },
    width: 460,
    height: 260,
    ...(spanning ? {} : { encoding: { x } }),
    layer: spanning ? layers.map(({ noX, ...l }) => (noX ? l : { ...l, encoding: { x, ...(l.encoding as object) } })) : layers,
    resolve: { legend: { shape: 'independent', strokeDash: 'independent' } },
  } as unknown as TopLevelSpec;
}
