// A sweep's progress on disk while it runs. Each finished point is appended, and fsynced, to
// results.partial.jsonl (the point with its rows and samples) and its rows to results.csv, so a
// run that is interrupted (or killed) keeps every point it finished, and `kpsim sweep --resume DIR`
// runs only the others. The journal goes once the run's complete results are written.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { PointRecord, ResultRow, RunMeta, SampleSet } from '../metrics/results.ts';
import { ROW_COLUMNS } from '../output/results-files.ts';
import { InputError } from '../util/errors.ts';

export const JOURNAL_FILE = 'results.partial.jsonl';
const KIND = 'kpsim-sweep-journal/1';

/** What a resumed run must repeat exactly: the points it plans and how it measures them. */
export interface JournalHead {
  kind: typeof KIND;
  scenarioFile: string;
  meta: Omit<RunMeta, 'wallSeconds' | 'workers'>;
  simulatedOnly: boolean;
  noReport: boolean;
  workerHeapMb?: number;
}

export interface JournalPoint {
  point: PointRecord;
  rows: ResultRow[];
  samples: SampleSet[];
}

export class SweepJournal {
  private constructor(private readonly dir: string) {}

  /** Starts the journal of a new run in `dir` (an empty or new folder). */
  static create(dir: string, head: Omit<JournalHead, 'kind'>): SweepJournal {
    mkdirSync(dir, { recursive: true });
    const j = new SweepJournal(dir);
    j.write(JOURNAL_FILE, JSON.stringify({ kind: KIND, ...head }) + '\n', 'w');
    j.write('results.csv', stringify([], { header: true, columns: [...ROW_COLUMNS] }), 'w');
    return j;
  }

  /** The journal of an interrupted run, with the points it finished (a torn last line is dropped). */
  static open(dir: string): { journal: SweepJournal; head: JournalHead; done: JournalPoint[] } {
    const file = join(dir, JOURNAL_FILE);
    if (!existsSync(file)) {
      const complete = existsSync(join(dir, 'results.json'));
      throw new InputError(
        complete
          ? `no ${JOURNAL_FILE}: the run finished, there is nothing to resume`
          : `no ${JOURNAL_FILE}: not the folder of an interrupted sweep`,
        dir,
        '--resume',
      );
    }
    const lines = readFileSync(file, 'utf8').split('\n');
    let head: JournalHead;
    try {
      head = JSON.parse(lines[0]) as JournalHead;
    } catch {
      throw new InputError('the journal has no readable first line', file);
    }
    if (head?.kind !== KIND) throw new InputError(`not a sweep journal (expected kind "${KIND}")`, file, 'kind', head?.kind);
    const done: JournalPoint[] = [];
    for (const line of lines.slice(1)) {
      if (line === '') continue;
      try {
        done.push(JSON.parse(line) as JournalPoint);
      } catch {
        // The run was killed while appending this point: it runs again.
      }
    }
    const journal = new SweepJournal(dir);
    // results.csv holds what the journal holds, whatever a kill left half-written.
    journal.write(
      'results.csv',
      stringify(
        done.flatMap((d) => d.rows),
        { header: true, columns: [...ROW_COLUMNS] },
      ),
      'w',
    );
    return { journal, head, done };
  }

  /** Appends a finished point; it is on disk when this returns. */
  append(p: JournalPoint): void {
    this.write(JOURNAL_FILE, JSON.stringify(p) + '\n', 'a');
    if (p.rows.length > 0) this.write('results.csv', stringify(p.rows, { columns: [...ROW_COLUMNS] }), 'a');
  }

  /** The run is complete: its results files replace the journal. */
  remove(): void {
    rmSync(join(this.dir, JOURNAL_FILE), { force: true });
  }

  private write(name: string, text: string, flag: 'w' | 'a'): void {
    const fd = openSync(join(this.dir, name), flag);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
