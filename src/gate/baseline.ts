// `kpsim baseline update`: a baseline is a results file (schema kpsim-results/1), kept whole:
// the gate uses every part of it (points to find missing ones, rows, raw samples for the wall
// tests, fits for the band report, meta for the scenario check), and `kpsim report` can read it.
import type { RunResults } from '../metrics/results.ts';
import { seriesKey } from '../metrics/results.ts';
import { InputError } from '../util/errors.ts';
import { writeText } from '../util/stdio.ts';
import { readGateInput } from './inputs.ts';

export const DEFAULT_BASELINE = 'bench/baseline.json';

export interface BaselineOptions {
  allowFailed?: boolean;
  allowShard?: boolean;
  allowPartial?: boolean;
}

export function updateBaseline(from: string, out: string, opts: BaselineOptions = {}): { file: string; results: RunResults } {
  const { file, results } = readGateInput(from, 'source');
  if (results.rows.length === 0) throw new InputError('no result rows: not a usable baseline', file, 'rows');
  const failed = results.points.filter((p) => p.status === 'failed');
  if (failed.length && !opts.allowFailed) {
    const list = failed
      .slice(0, 5)
      .map((p) => `${seriesKey(p)}/${p.scale}/${p.repetition}`)
      .join(', ');
    throw new InputError(
      `${failed.length} point${failed.length > 1 ? 's' : ''} failed (${list}${failed.length > 5 ? ', ...' : ''}): a baseline without them would not catch those points failing again (--allow-failed to write it anyway)`,
      file,
      'points',
    );
  }
  const incomplete = results.meta?.incomplete;
  if (incomplete && !opts.allowPartial)
    throw new InputError(
      `the run is incomplete (${incomplete.reason}): a baseline without those points would not check them; finish the run (kpsim sweep --resume, or merge every shard), or --allow-partial`,
      file,
      'meta.incomplete',
    );
  const shard = results.meta?.shard;
  if (shard && shard.count > 1 && !opts.allowShard) {
    throw new InputError(
      `is shard ${shard.index}/${shard.count} of a sweep: merge the shards first (kpsim merge reports/shard-* --out reports/merged), or --allow-shard`,
      file,
      'meta.shard',
      shard,
    );
  }
  // Raw wall-clock samples are kept to 5 significant digits, one set per line: the gate's
  // tests cannot see a 0.001% difference, and a committed baseline shrinks about threefold.
  const samples = results.samples.map((s) => ({ ...s, values: s.values.map((v) => Number(v.toPrecision(5))) }));
  const { samples: _omit, ...rest } = results;
  const head = JSON.stringify({ ...rest, samples: [] }, null, 1);
  const sampleLines = samples.map((s) => ' ' + JSON.stringify(s)).join(',\n');
  writeText(out, head.replace(/"samples": \[\]/, samples.length ? `"samples": [\n${sampleLines}\n ]` : '"samples": []') + '\n');
  return { file, results: { ...results, samples } };
}
