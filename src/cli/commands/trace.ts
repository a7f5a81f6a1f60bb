import type { Command } from 'commander';
import { loadPlane, type PlaneSource } from '../../proxy/load-plane.ts';
import { describePacket, packetFields, packetFrom, readPacketsFile } from '../../proxy/packet-input.ts';
import { explainTrace } from '../../proxy/iptables/explain.ts';
import type { DetailedTrace } from '../../proxy/iptables/ruleset-plane.ts';
import type { DataPlane, Packet, PacketOrigin } from '../../proxy/types.ts';
import { InputError } from '../../util/errors.ts';
import { addClusterOptions, addPlaneOptions, printWarnings } from '../cluster-input.ts';
import { checkOneStdin } from '../options.ts';

interface TraceOptions extends PlaneSource {
  src?: string;
  dst?: string;
  dport?: string;
  sport?: string;
  proto?: string;
  packets?: string;
  fromNode?: boolean;
  json?: boolean;
}

/** Data planes that can also report each hook walked (the iptables ones). */
type Detailed = DataPlane & { traceDetailed(p: Packet, o: PacketOrigin): DetailedTrace };

export function registerTrace(program: Command): void {
  const cmd = program
    .command('trace')
    .summary("follow packets through a node's data plane")
    .description(
      "Follow the first packet of a connection through one node's data plane, exploring every\nbranch (all endpoints a service may pick), as kube-proxy's own packet-flow tests do. A packet\nwhose source is one of the node's addresses (or 127.0.0.1) is locally generated and starts in\nnat OUTPUT; any other starts in nat PREROUTING.",
    );
  addPlaneOptions(cmd)
    .option('--iptables-save <file>', "trace through a real node's iptables-save dump instead (- for standard input)")
    .option('--local-ips <list>', "with --iptables-save: the node's addresses, comma-separated (127.0.0.1 is always local)")
    .option('--src <ip>', 'source address')
    .option('--dst <ip>', 'destination address')
    .option('--dport <port>', 'destination port')
    .option('--sport <port>', 'source port (default 0)')
    .option('--proto <proto>', 'TCP, UDP or SCTP (default TCP)')
    .option('--packets <file>', 'JSON lines, one packet each: {"src","dst","dport","proto"} (- for standard input)')
    .option('--from-node', 'treat every packet as generated on the node (nat OUTPUT)')
    .option(
      '--json',
      'one JSON object per packet per line: the packet (as given), verdict, endpoints, masquerade, rulesEvaluated, path (and uncertain: true when the walk reached a rule kpsim does not model)',
    );
  addClusterOptions(cmd)
    .addHelpText(
      'after',
      '\nExamples:\n  kpsim trace --cluster c.json --proxy-config kp.yaml --src 10.244.1.5 --dst 10.96.0.10 --dport 53 --proto UDP\n  kpsim trace --cluster c.json --proxy-config kp.yaml --packets packets.jsonl --json\n  kpsim trace --iptables-save node1.iptables --local-ips 192.168.0.10 --src 8.8.8.8 --dst 192.168.0.10 --dport 30080',
    )
    .action((opts: TraceOptions) => {
      checkOneStdin({
        '--cluster': opts.cluster,
        '--proxy-config': opts.proxyConfig,
        '--iptables-save': opts.iptablesSave,
        '--packets': opts.packets,
      });
      const packets = readPackets(opts);
      const { plane, localIPs, warnings } = loadPlane(opts);
      printWarnings(opts.cluster ?? opts.iptablesSave, warnings);
      const detailed = 'traceDetailed' in plane ? (plane as Detailed) : null;
      const out: string[] = [];
      const flush = () => {
        if (out.length === 0) return;
        process.stdout.write(out.join('\n') + '\n');
        out.length = 0;
      };
      for (const p of packets) {
        const origin: PacketOrigin = opts.fromNode || localIPs.has(p.src) ? 'local' : 'forwarded';
        if (opts.json) {
          const r = plane.trace(p, origin);
          out.push(
            JSON.stringify({
              packet: packetFields(p),
              verdict: r.verdict,
              endpoints: r.endpoints,
              masquerade: r.masquerade,
              rulesEvaluated: r.rulesEvaluated,
              path: r.path,
              ...(r.uncertain ? { uncertain: true } : {}),
            }),
          );
        } else if (detailed) {
          out.push(explainTrace(`packet ${describePacket(p)}`, origin, detailed.traceDetailed(p, origin)));
        } else {
          const r = plane.trace(p, origin);
          out.push(
            [
              `packet ${describePacket(p)} (${origin})`,
              ...r.path.map((s) => `  ${s}`),
              `verdict: ${r.verdict}${r.endpoints.length ? ` -> ${r.endpoints.join(', ')}` : ''}; masquerade: ${r.masquerade}; ${r.rulesEvaluated} evaluated`,
            ].join('\n'),
          );
        }
        if (out.length >= 1000) flush();
      }
      flush();
    });
}

function readPackets(opts: TraceOptions): Packet[] {
  const single =
    opts.src !== undefined || opts.dst !== undefined || opts.dport !== undefined || opts.proto !== undefined || opts.sport !== undefined;
  if (opts.packets !== undefined) {
    if (single) throw new InputError('give either --packets FILE or --src/--dst/--dport, not both', undefined, '--packets');
    return readPacketsFile(opts.packets);
  }
  if (!single) throw new InputError('give a packet (--src IP --dst IP --dport N [--proto TCP|UDP|SCTP]) or --packets FILE');
  const named = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  try {
    return [packetFrom(named({ src: opts.src, dst: opts.dst, dport: opts.dport, sport: opts.sport, proto: opts.proto }))];
  } catch (err) {
    // Name the options as typed on the command line.
    if (err instanceof InputError && err.field) throw new InputError(err.message.replace(/^[^:]+: /, ''), undefined, `--${err.field}`);
    throw err;
  }
}
