// What every reproduction chart shares (data-plane and control-plane alike): how kpsim's line and
// a published value are drawn, finding a published figure, and the note shown when it is absent.
import type { PublishedFigure, PublishedFigures } from './published.ts';
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
