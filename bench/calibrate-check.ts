// An independent check of `kpsim calibrate`'s ns per iptables rule (root; Debian's iptables).
//
//   node --import tsx bench/calibrate-check.ts cal.json [--services 10000] [--backend nft]
//
// calibrate fits no-match walks across rulesets of several sizes, timed by Python's thread CPU
// clock. This check loads ONE ruleset (`kpsim generate` + `kpsim rules`, the CLI's output, its
// nfacct matches stripped) with the shell's iptables-restore in its own throwaway namespace and
// times, from Node (net.connect; the process's CPU time, process.cpuUsage(), as wall time on a
// shared machine is mostly other processes), connects that MATCH services at 16
// positions of KUBE-SERVICES: a packet for the service at position k walks k rules before its
// own chains. The slope of the per-connect time against k (minimum over rounds: the least
// disturbed timing) is ns per rule. It prints both figures and exits 1 unless they agree within 2x.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitLine } from '../src/calibrate/analyse.ts';
import { scenarioConfig } from '../src/scenario/generate.ts';
import { loadScenario } from '../src/scenario/load.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCENARIO = 'scenarios/scale-sweep.yaml';
const SRC = '198.51.100.1';
const POSITIONS = 16;
const ROUNDS = 15;
const BATCH = 50;

interface Target {
  k: number;
  ip: string;
  port: number;
}

interface Inside {
  rules: string;
  backend: string;
  routes: string[];
  targets: Target[];
}

if (process.argv[2] === '--inside') await inside(JSON.parse(process.argv[3]) as Inside);
else await outside(process.argv.slice(2));

async function outside(argv: string[]): Promise<void> {
  const calFile = argv.find((a) => !a.startsWith('--'));
  const opt = (name: string, d: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : d;
  };
  const services = Number(opt('--services', '10000'));
  const backend = opt('--backend', 'nft');
  const dir = mkdtempSync(join(os.tmpdir(), 'kpsim-check-'));
  try {
    const kpsim = (args: string[]) =>
      execFileSync(process.execPath, [join(ROOT, 'bin/kpsim.js'), ...args], { cwd: ROOT, maxBuffer: 1 << 30 }).toString();
    const cluster = join(dir, 'cluster.json');
    kpsim(['generate', SCENARIO, '--scale', String(services), '--out', cluster]);
    const rules = kpsim(['rules', '--cluster', cluster]).replace(/ -m nfacct --nfacct-name \S+/g, '');
    const rulesFile = join(dir, 'rules.txt');
    writeFileSync(rulesFile, rules);
    // nat KUBE-SERVICES in order; the ClusterIP rules of TCP services with pod endpoints.
    const nat = rules.slice(rules.indexOf('*nat'));
    const chain = nat.split('\n').filter((l) => l.startsWith('-A KUBE-SERVICES '));
    const cands: Target[] = [];
    chain.forEach((l, i) => {
      const m = / -p tcp -d (\d+\.\d+\.\d+\.\d+)(?:\/32)? --dport (\d+) -j KUBE-SVC-/.exec(l);
      if (m && l.includes('cluster IP')) cands.push({ k: i + 1, ip: m[1], port: Number(m[2]) });
    });
    const targets = Array.from({ length: POSITIONS }, (_, j) => cands[Math.round((j * (cands.length - 1)) / (POSITIONS - 1))]);
    // Service, pod and node ranges go out lo (and no further): DNATed SYNs are routed, then dropped.
    const c = scenarioConfig(loadScenario(join(ROOT, SCENARIO)));
    const routes = [c.serviceCIDR, c.clusterCIDR, c.nodeNetworkCIDR];
    const r = spawnSync(
      'unshare',
      [
        '--net',
        '--',
        process.execPath,
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--inside',
        JSON.stringify({ rules: rulesFile, backend, routes, targets }),
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    if (r.status !== 0) throw new Error(`inside the namespace: ${r.stderr || r.stdout}`);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { k: number; ns: number }[];
    const f = fitLine(
      res.map((x) => x.k),
      res.map((x) => x.ns),
    );
    if (!f) throw new Error('no fit');
    console.log(`positions (rule k of ${chain.length}: min ns per connect): ${res.map((x) => `${x.k}:${Math.round(x.ns)}`).join(' ')}`);
    console.log(
      `independent check (${backend}, ${services} services, Node, process CPU, matching services): ${f.slope.toFixed(2)} ns per KUBE-SERVICES rule`,
    );
    if (!calFile) return;
    const cal = JSON.parse(readFileSync(calFile, 'utf8')) as {
      measurements: { kind: string; constant?: string; backend?: string; median: number }[];
    };
    const m = cal.measurements.find((x) => x.kind === 'constant' && x.constant === 'iptablesRuleNs' && x.backend === backend);
    if (!m) throw new Error(`${calFile} has no iptablesRuleNs for the ${backend} backend`);
    const ratio = m.median / f.slope;
    console.log(
      `kpsim calibrate (${calFile}): ${m.median.toFixed(2)} ns/rule; ratio ${ratio.toFixed(2)}: ${ratio >= 0.5 && ratio <= 2 ? 'agree within 2x' : 'DISAGREE (more than 2x apart)'}`,
    );
    if (!(ratio >= 0.5 && ratio <= 2)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inside(o: Inside): Promise<void> {
  // A fresh namespace has only lo; refuse to touch anything else.
  const links = readFileSync('/proc/self/net/dev', 'utf8').split('\n').slice(2).filter(Boolean);
  if (links.length !== 1 || !links[0].trim().startsWith('lo:')) throw new Error('not a fresh network namespace');
  const sh = (...args: string[]) => execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  sh('ip', 'link', 'set', 'lo', 'up');
  sh('ip', 'addr', 'add', `${SRC}/32`, 'dev', 'lo');
  for (const r of o.routes) sh('ip', 'route', 'add', r, 'dev', 'lo', 'src', SRC);
  execFileSync(`iptables-${o.backend}-restore`, [], { input: readFileSync(o.rules), stdio: ['pipe', 'ignore', 'inherit'] });
  writeFileSync('/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_syn_sent', '10');
  let port = 0;
  // The process's CPU time (ns; getrusage sums the threads' exact runtimes): preemption is not in it.
  const cpuNs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000;
  };
  const tick = () => new Promise((r) => setImmediate(r));
  const batch = async (t: Target): Promise<number> => {
    const socks: net.Socket[] = [];
    const t0 = cpuNs();
    for (let i = 0; i < BATCH; i++) {
      const s = net.connect({ host: t.ip, port: t.port, localAddress: SRC, localPort: 20000 + (port++ % 39989) });
      s.on('error', () => {});
      socks.push(s);
    }
    await tick();
    for (const s of socks) s.destroy();
    await tick();
    return (cpuNs() - t0) / BATCH;
  };
  for (const t of o.targets) await batch(t); // warm-up
  const best = o.targets.map(() => Infinity);
  for (let r = 0; r < ROUNDS; r++) {
    const order = o.targets.map((_, i) => i).sort(() => Math.random() - 0.5);
    for (const i of order) best[i] = Math.min(best[i], await batch(o.targets[i]));
  }
  console.log(JSON.stringify(o.targets.map((t, i) => ({ k: t.k, ns: best[i] }))));
}
