// `-m statistic --probability` values: kube-proxy's computeProbability(n) is Go's
// fmt.Sprintf("%0.10f", 1.0/float64(n)), i.e. the double 1/n rounded to 10 decimals with
// exact ties going to the even digit. JavaScript's toFixed rounds the same exact binary value
// but sends ties up; a tie needs 1/n to be an exact double (n a power of two), so those are
// rounded exactly here.

const cache: string[] = [];

export function probability(n: number): string {
  let p = cache[n];
  if (p === undefined) {
    p = compute(n);
    if (n < 100_000) cache[n] = p;
  }
  return p;
}

function compute(n: number): string {
  if (n > 0 && (n & (n - 1)) === 0) return powerOfTwo(Math.log2(n));
  return (1 / n).toFixed(10);
}

/** 1/2^k = 5^k / 10^k exactly, rounded half-to-even at 10 decimals. */
function powerOfTwo(k: number): string {
  if (k === 0) return '1.0000000000';
  const digits = (5n ** BigInt(k)).toString().padStart(k, '0'); // the k decimals of 1/2^k
  if (k <= 10) return `0.${digits.padEnd(10, '0')}`;
  let kept = BigInt(digits.slice(0, 10));
  const rest = digits.slice(10);
  const half = '5'.padEnd(rest.length, '0');
  if (rest > half || (rest === half && kept % 2n === 1n)) kept += 1n;
  return `0.${kept.toString().padStart(10, '0')}`;
}
