// hops.csv: one row per hop of every connection, in connection then hop order.
import { stringify } from 'csv-stringify/sync';
import { formatIPv4 } from '../util/ipv4.ts';
import type { Journey, Tuple } from './types.ts';

export const HOP_COLUMNS = [
  'connection',
  'seq',
  'phase',
  'hop',
  'kind',
  'node',
  'clock',
  'start_ns',
  'ns',
  'src_before',
  'dst_before',
  'src_after',
  'dst_after',
  'note',
] as const;

const addr = (ip: number, port: number): string => `${formatIPv4(ip)}:${port}`;
const src = (t: Tuple): string => addr(t.src, t.sport);
const dst = (t: Tuple): string => addr(t.dst, t.dport);

/** The CSV text in chunks (header first), so a large run is never one giant string. */
export function* hopsCsvChunks(journeys: readonly Journey[], chunkRows = 5000): Generator<string> {
  yield stringify([[...HOP_COLUMNS]]);
  let rows: unknown[][] = [];
  for (const j of journeys) {
    for (const h of j.hops) {
      rows.push([
        j.id,
        h.seq,
        h.phase,
        h.name,
        h.kind,
        h.node,
        'simulated',
        h.startNs,
        h.ns,
        src(h.before),
        dst(h.before),
        src(h.after),
        dst(h.after),
        h.note,
      ]);
      if (rows.length >= chunkRows) {
        yield stringify(rows);
        rows = [];
      }
    }
  }
  if (rows.length > 0) yield stringify(rows);
}
