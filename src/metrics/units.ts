// Units as results store them and as people read them. The `unit` column of results.csv/json is
// data and stays ASCII ("us"), so every reader and every results file written before keeps
// working; whatever shows a unit to a person (tables, charts, the terminal) spells it "µs".

/** The unit as shown to a person: "us" (and the Greek-mu spelling) become "µs" (U+00B5). */
export function unitLabel(unit: string): string {
  return unit === 'us' || unit === 'μs' ? 'µs' : unit;
}
