import type { Command } from 'commander';
import { addClusterOptions, loadClusterFor } from '../cluster-input.ts';
import { CoreDnsServer } from '../../dns/server.ts';
import { DEFAULT_NDOTS, MAX_NDOTS, podResolvConf, resolve, type ResolveResult } from '../../dns/resolver.ts';
import { isDns1123Label, isIPv4, isValidDomain, isValidQueryName } from '../../dns/names.ts';
import { RECORD_TYPES, type RecordType } from '../../dns/types.ts';
import { InputError } from '../../util/errors.ts';

export interface DnsOptions {
  cluster?: string;
  namespace?: string;
  name?: string;
  type: string;
  ndots?: string;
  search?: string;
  json?: boolean;
  serviceCidr?: string;
  clusterCidr?: string;
  strict?: boolean;
}

export function registerDns(program: Command): void {
  const cmd = program
    .command('dns')
    .summary("resolve a name from a pod, as CoreDNS and the pod's resolver would")
    .description(
      "Resolve a name from a pod in NAMESPACE against the cluster's DNS records (CoreDNS kubernetes plugin), walking the pod's resolv.conf search list as glibc does, and list every query sent. Search list: <ns>.svc.<domain> svc.<domain> <domain>, then --search. Names outside the cluster domain go to an upstream that kpsim leaves empty, so they are NXDOMAIN.",
    )
    .option('--cluster <file>', 'cluster file (Kubernetes List, JSON or YAML), e.g. from kpsim generate; - for standard input')
    .option('--namespace <ns>', 'namespace of the pod doing the lookup (need not exist)')
    .option('--name <name>', 'name to resolve; a trailing dot makes it absolute; for PTR an IPv4 address or in-addr.arpa name')
    .option('--type <type>', `record type: ${RECORD_TYPES.join('|')}`, 'A')
    .option('--ndots <n>', `resolv.conf ndots, 0-${MAX_NDOTS}`, String(DEFAULT_NDOTS))
    .option('--search <domains>', "host search domains appended after the cluster's three, space-separated")
    .option('--json', 'print {"rcode", "answers": [{"name","type","value"}], "queries": [names sent, in order]} on one line');
  addClusterOptions(cmd)
    .addHelpText(
      'after',
      '\nExamples:\n  kpsim dns --cluster /tmp/c.json --namespace ns-1 --name svc-1\n  kpsim dns --cluster /tmp/c.json --namespace ns-1 --name example.com --search "corp.example" --json\n  kpsim dns --cluster /tmp/c.json --namespace ns-1 --name 10.96.0.10 --type PTR',
    )
    .action((opts: DnsOptions) => {
      const req = parseDnsOptions(opts);
      const { name, namespace, type, ndots, hostSearch } = req;
      const { cluster } = loadClusterFor(req.cluster, {
        serviceCidr: opts.serviceCidr,
        clusterCidr: opts.clusterCidr,
        strict: opts.strict,
      });
      const clusterDomain = cluster.config.clusterDomain;
      const server = CoreDnsServer.fromCluster(cluster);
      const result = resolve(name, { server, namespace, clusterDomain, ndots, hostSearch, type });
      if (req.json) {
        const answers = result.answers.map((a) => ({ name: a.name, type: a.type, value: a.value }));
        process.stdout.write(JSON.stringify({ rcode: result.rcode, answers, queries: result.queries }) + '\n');
        return;
      }
      const search = podResolvConf(namespace, clusterDomain, hostSearch, ndots).search;
      process.stdout.write(formatResult(name, type, namespace, ndots, search, clusterDomain, result));
    });
}

export interface DnsRequest {
  cluster: string;
  namespace: string;
  name: string;
  type: RecordType;
  ndots: number;
  hostSearch: string[];
  json: boolean;
}

/** Checks the options; every problem is an InputError naming the option and the value. */
export function parseDnsOptions(opts: DnsOptions): DnsRequest {
  if (opts.cluster === undefined) throw new InputError('--cluster FILE is required');
  if (opts.namespace === undefined) throw new InputError('--namespace NS is required');
  if (opts.name === undefined) throw new InputError('--name NAME is required');
  const type = opts.type.toUpperCase() as RecordType;
  if (!RECORD_TYPES.includes(type))
    throw new InputError(`unknown record type; expected one of ${RECORD_TYPES.join(', ')}`, undefined, '--type', opts.type);
  const ndotsText = opts.ndots ?? String(DEFAULT_NDOTS);
  const ndots = Number(ndotsText);
  if (!/^\d+$/.test(ndotsText) || ndots > MAX_NDOTS)
    throw new InputError(`must be an integer from 0 to ${MAX_NDOTS}`, undefined, '--ndots', ndotsText);
  const namespace = opts.namespace;
  if (!isDns1123Label(namespace))
    throw new InputError('not a valid namespace name (a DNS label: lowercase letters, digits and -)', undefined, '--namespace', namespace);
  const hostSearch = (opts.search ?? '').split(/\s+/).filter((s) => s !== '');
  for (const s of hostSearch) if (!isValidDomain(s)) throw new InputError('not a valid search domain', undefined, '--search', s);
  const name = opts.name;
  if (type === 'PTR' && name.includes(':'))
    throw new InputError('IPv6 reverse lookups are not modelled; give an IPv4 address or an in-addr.arpa name', undefined, '--name', name);
  if (!isValidQueryName(name)) throw new InputError('not a valid domain name', undefined, '--name', name);
  return { cluster: opts.cluster, namespace, name, type, ndots, hostSearch, json: opts.json === true };
}

function formatResult(
  name: string,
  type: RecordType,
  namespace: string,
  ndots: number,
  search: string[],
  domain: string,
  r: ResolveResult,
): string {
  const lines: string[] = [];
  lines.push(`; kpsim dns: ${name} ${type} from a pod in namespace ${namespace}`);
  lines.push(`; resolv.conf: search ${search.join(' ')}; options ndots:${ndots}`);
  const nodata = r.rcode === 'NOERROR' && r.answers.length === 0;
  lines.push(`;; status: ${r.rcode}${nodata ? ' (NODATA)' : ''}, answers: ${r.answers.length}, queries sent: ${r.queries.length}`);
  if (r.answers.length > 0) {
    lines.push('', ';; ANSWER SECTION:');
    const width = Math.max(...r.answers.map((a) => a.name.length));
    for (const a of r.answers) lines.push(`${a.name.padEnd(width)}  ${String(a.ttl).padStart(4)}  IN  ${a.type.padEnd(5)}  ${a.value}`);
  }
  if (r.log.length > 0) {
    lines.push('', ';; QUERIES SENT (in order):');
    const width = Math.max(...r.log.map((q) => q.name.length));
    r.log.forEach((q, i) => {
      const outcome =
        q.rcode === 'NXDOMAIN'
          ? 'NXDOMAIN'
          : q.answers > 0
            ? `NOERROR, ${q.answers} answer${q.answers > 1 ? 's' : ''}`
            : 'NOERROR, no answers (NODATA)';
      lines.push(
        `;; ${String(i + 1).padStart(3)}  ${q.name.padEnd(width)}  ${q.type.padEnd(5)}  ${outcome}${q.source === 'upstream' ? '  [forwarded upstream]' : ''}`,
      );
    });
  } else if (type === 'A' && isIPv4(name.replace(/\.$/, ''))) {
    lines.push('', ';; an IPv4 literal: answered by the resolver itself, no query sent');
  }
  lines.push('', `;; amplification: ${r.amplification} ${r.amplification === 1 ? 'query' : 'queries'} for this one ${type} lookup`);
  if (r.log.some((q) => q.source === 'upstream' && q.rcode === 'NXDOMAIN')) {
    lines.push(`;; note: names outside ${domain} are forwarded upstream; kpsim's upstream holds no records, so they are NXDOMAIN`);
  }
  return lines.join('\n') + '\n';
}
