// The simulated clock's price list is made of constants, each with where its value comes from.
// Core constants live in src/metrics/cost-model.ts, kernel models' in their folders
// (src/netfilter/costs.ts) and each proxy mode's in its own folder; cost-model.ts joins them.

/** One constant of the price list. */
export interface CostConstant {
  readonly value: number;
  readonly unit: string;
  /** A published figure (the entry id in data/published-figures.json), a document, or "Estimate: ..." with its reasoning. */
  readonly source: string;
}

/** Constants by name. */
export type CostTable = Readonly<Record<string, CostConstant>>;

/** Prices by constant name: what pricing functions read (a cost model, after overrides). */
export type Prices = Readonly<Record<string, number>>;

/** The values of a table, by name. */
export function valuesOf(table: CostTable): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, c] of Object.entries(table)) out[name] = c.value;
  return out;
}
