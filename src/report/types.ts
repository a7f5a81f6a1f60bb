// The report as data: sections of charts (vega-lite specs) and small tables, all plain text.
// html.ts escapes every string when it writes the page.
import type { TopLevelSpec } from 'vega-lite';

export interface ChartDef {
  /** File-safe name: charts/<name>.vl.json, charts/<name>.svg, and the page's chart-<name> container. */
  name: string;
  title: string;
  /** What the chart shows and which clock (plain text). */
  caption: string;
  /** null when the run lacks the data: the page shows the notes instead of a chart. */
  spec: TopLevelSpec | null;
  /** Caveats, or why there is no chart (plain text). */
  notes: string[];
  /** Whether the chart needs a whole row of the page (default: when it has several panels). */
  wide?: boolean;
}

export interface SmallTable {
  caption: string;
  columns: string[];
  rows: string[][];
}

export interface Block {
  chart: ChartDef;
  table?: SmallTable;
  /** Where the published numbers come from (plain text), for reproduction blocks. */
  source?: string;
}

export interface Section {
  id: string;
  title: string;
  /** Short explanation of the section (plain text). */
  intro: string;
  /** Which clock the section's numbers come from, e.g. "simulated and wall clock". */
  clock: string;
  /** What the section's numbers say, one plain-text line each (shown under the intro). */
  findings?: string[];
  blocks: Block[];
}
