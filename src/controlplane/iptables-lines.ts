// Lines per service port as a function of its endpoints, measured on the real iptables
// renderer: the reference node's ruleset is rendered once (for a stride sample of the user
// services when there are many), attributed to service ports, and tabulated by (shape,
// programmed endpoints). Unseen endpoint counts use a least-squares line per shape.
import type { Cluster } from '../cluster/model.ts';
import { SERVICE_NAME_LABEL } from '../cluster/k8s-types.ts';
import { parseIptablesSave } from '../netfilter/index.ts';
import type { KubeProxyConfiguration } from '../proxy/config.ts';
import { getProxyMode } from '../proxy/registry.ts';
import { buildServiceMap, type ServicePortInfo } from '../proxy/service-map.ts';
import { attributeRuleset, type Attribution, type PortLines } from './iptables-attribution.ts';
import { portShapeKey } from './services.ts';

const FIELDS = ['fixedChainLines', 'ownLines', 'ownChains', 'rules'] as const;

/** Endpoints kube-proxy programs for a port: the ready ones, else the serving terminating ones. */
export function programmedEndpoints(sp: ServicePortInfo): number {
  let ready = 0;
  let term = 0;
  for (const ep of sp.endpoints) {
    if (ep.ready) ready++;
    else if (ep.serving && ep.terminating) term++;
  }
  return ready > 0 ? ready : term;
}

interface Acc {
  n: number;
  sum: PortLines;
}

/** Mean lines per service port by shape and programmed endpoints, with a linear fit per shape. */
export class LineTable {
  private readonly cells = new Map<string, Map<number, Acc>>();
  private readonly fits = new Map<string, Record<(typeof FIELDS)[number], { a: number; b: number }>>();
  private global: Record<(typeof FIELDS)[number], { a: number; b: number }> | null = null;
  private zero: PortLines | null = null;

  add(shape: string, endpoints: number, lines: PortLines): void {
    let byE = this.cells.get(shape);
    if (!byE) this.cells.set(shape, (byE = new Map()));
    let acc = byE.get(endpoints);
    if (!acc) byE.set(endpoints, (acc = { n: 0, sum: { fixedChainLines: 0, ownLines: 0, ownChains: 0, rules: 0 } }));
    acc.n++;
    for (const f of FIELDS) acc.sum[f] += lines[f];
    this.fits.clear();
    this.global = null;
  }

  /** Number of (shape, endpoints) cells measured. */
  get cellCount(): number {
    let n = 0;
    for (const m of this.cells.values()) n += m.size;
    return n;
  }

  /** Lines of one port of `shape` with `endpoints` programmed endpoints. */
  get(shape: string, endpoints: number): PortLines {
    const acc = this.cells.get(shape)?.get(endpoints);
    if (acc) return mean(acc);
    if (endpoints === 0) return this.zeroLines();
    const fit = this.fitFor(shape);
    const out = { fixedChainLines: 0, ownLines: 0, ownChains: 0, rules: 0 };
    for (const f of FIELDS) out[f] = Math.max(0, fit[f].a + fit[f].b * endpoints);
    return out;
  }

  /** Per-endpoint slope of own lines (the cost of one more endpoint of a port), for the docs and tests. */
  slope(shape: string): PortLines {
    const fit = this.fitFor(shape);
    return { fixedChainLines: fit.fixedChainLines.b, ownLines: fit.ownLines.b, ownChains: fit.ownChains.b, rules: fit.rules.b };
  }

  private zeroLines(): PortLines {
    if (this.zero) return this.zero;
    const accs = [...this.cells.values()].map((m) => m.get(0)).filter((a): a is Acc => a !== undefined);
    if (accs.length > 0) {
      const total: Acc = { n: 0, sum: { fixedChainLines: 0, ownLines: 0, ownChains: 0, rules: 0 } };
      for (const a of accs) {
        total.n += a.n;
        for (const f of FIELDS) total.sum[f] += a.sum[f];
      }
      this.zero = mean(total);
    } else {
      // kube-proxy writes one REJECT rule in filter KUBE-SERVICES for a port with no endpoints.
      this.zero = { fixedChainLines: 1, ownLines: 0, ownChains: 0, rules: 1 };
    }
    return this.zero;
  }

  private fitFor(shape: string) {
    const cached = this.fits.get(shape);
    if (cached) return cached;
    const global = this.globalFit();
    const byE = this.cells.get(shape);
    const pts = byE ? [...byE.entries()].filter(([e]) => e > 0) : [];
    const fit = {} as Record<(typeof FIELDS)[number], { a: number; b: number }>;
    for (const f of FIELDS) {
      if (pts.length >= 2) fit[f] = leastSquares(pts.map(([e, acc]) => [e, acc.sum[f] / acc.n, acc.n]));
      else if (pts.length === 1) {
        // One endpoint count seen: the global slope through that point.
        const [e, acc] = pts[0];
        fit[f] = { a: acc.sum[f] / acc.n - global[f].b * e, b: global[f].b };
      } else fit[f] = global[f];
    }
    this.fits.set(shape, fit);
    return fit;
  }

  private globalFit() {
    if (this.global) return this.global;
    const pts: [number, Acc][] = [];
    for (const m of this.cells.values()) for (const [e, acc] of m) if (e > 0) pts.push([e, acc]);
    const g = {} as Record<(typeof FIELDS)[number], { a: number; b: number }>;
    for (const f of FIELDS) {
      // Without measurements: a ClusterIP port in kube-proxy's ruleset (1 capture rule, a SVC
      // chain with one jump per endpoint, a SEP chain of 2 rules per endpoint).
      const fallback = { fixedChainLines: { a: 1, b: 0 }, ownLines: { a: 1, b: 4 }, ownChains: { a: 1, b: 1 }, rules: { a: 1, b: 3 } }[f];
      g[f] = pts.length === 0 ? fallback : leastSquares(pts.map(([e, acc]) => [e, acc.sum[f] / acc.n, acc.n]));
    }
    this.global = g;
    return g;
  }
}

function mean(acc: Acc): PortLines {
  return {
    fixedChainLines: acc.sum.fixedChainLines / acc.n,
    ownLines: acc.sum.ownLines / acc.n,
    ownChains: acc.sum.ownChains / acc.n,
    rules: acc.sum.rules / acc.n,
  };
}

/** Weighted least squares y = a + b x; one distinct x gives a flat line. */
function leastSquares(pts: [number, number, number][]): { a: number; b: number } {
  let sw = 0,
    sx = 0,
    sy = 0,
    sxx = 0,
    sxy = 0;
  for (const [x, y, w] of pts) {
    sw += w;
    sx += w * x;
    sy += w * y;
    sxx += w * x * x;
    sxy += w * x * y;
  }
  const den = sw * sxx - sx * sx;
  if (Math.abs(den) < 1e-12) return { a: sy / sw, b: 0 };
  const b = (sw * sxy - sx * sy) / den;
  return { a: (sy - b * sx) / sw, b };
}

export interface IptablesMeasurement {
  table: LineTable;
  /** Fixed restore lines and rules of the reference node (not attributable to a service). */
  fixedLines: number;
  fixedRules: number;
  /** Exact lines of each measured service ("ns/name"), summed over its ports. */
  measured: Map<string, { endpoints: number; lines: PortLines }>;
  /** The rendered sample: its full-sync restore lines and rules, for checks. */
  sample: { services: number; ports: number; restoreLines: number; totalRules: number; attribution: Attribution };
}

/**
 * Renders the reference node's ruleset with the real iptables proxier (one render) and measures
 * lines per service port. With more than `maxServices` user services a stride sample of them
 * (plus default/ and kube-system/) is rendered: per-port line counts do not depend on the rest.
 */
export function measureIptables(cluster: Cluster, config: KubeProxyConfiguration, maxServices: number): IptablesMeasurement {
  const system = (ns: string | undefined) => ns === 'default' || ns === 'kube-system';
  const user = cluster.services.filter((s) => !system(s.metadata.namespace));
  const stride = Math.max(1, Math.ceil(user.length / maxServices));
  const keep = new Set<string>();
  let i = 0;
  for (const s of cluster.services) {
    const key = `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`;
    if (system(s.metadata.namespace) || i++ % stride === 0) keep.add(key);
  }
  const sample: Cluster =
    stride === 1
      ? cluster
      : {
          ...cluster,
          services: cluster.services.filter((s) => keep.has(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`)),
          endpointSlices: cluster.endpointSlices.filter((sl) =>
            keep.has(`${sl.metadata.namespace ?? 'default'}/${sl.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`),
          ),
        };
  const dp = getProxyMode('iptables').build(sample, { ...config, mode: 'iptables' });
  const attribution = attributeRuleset(parseIptablesSave(dp.render('iptables-save')));

  // Service ports of the sample, as the proxier saw them, to key the lines by shape and endpoints.
  const table = new LineTable();
  const measured = new Map<string, { endpoints: number; lines: PortLines }>();
  let ports = 0;
  for (const sp of buildServiceMap(sample, config.hostnameOverride)) {
    const lines = attribution.ports.get(sp.name) ?? { fixedChainLines: 0, ownLines: 0, ownChains: 0, rules: 0 };
    const e = programmedEndpoints(sp);
    table.add(portShapeKey(sp), e, lines);
    const key = `${sp.namespace}/${sp.serviceName}`;
    const m = measured.get(key) ?? { endpoints: e, lines: { fixedChainLines: 0, ownLines: 0, ownChains: 0, rules: 0 } };
    m.lines.fixedChainLines += lines.fixedChainLines;
    m.lines.ownLines += lines.ownLines;
    m.lines.ownChains += lines.ownChains;
    m.lines.rules += lines.rules;
    measured.set(key, m);
    ports++;
  }
  return {
    table,
    fixedLines: attribution.fixedLines,
    fixedRules: attribution.fixedRules,
    measured,
    sample: { services: measured.size, ports, restoreLines: attribution.restoreLines, totalRules: attribution.totalRules, attribution },
  };
}
