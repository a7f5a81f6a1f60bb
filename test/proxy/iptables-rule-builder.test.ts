// The data plane builds the netfilter Rule objects itself (rule-buf.ts) instead of parsing
// its own text; these tests hold that shortcut to the netfilter parser's answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readClusterFile } from '../../src/cluster/k8s-io.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { generateCluster } from '../../src/scenario/generate.ts';
import { type CompiledRuleset, compileRuleset, parseIptablesSave, writeIptablesSave, type Ruleset } from '../../src/netfilter/index.ts';
import { loadKubeProxyConfig } from '../../src/proxy/load-config.ts';
import { IptablesDataPlane } from '../../src/proxy/iptables/dataplane.ts';
import { treatNfacctAsAlwaysMatching } from '../../src/proxy/iptables/nfacct-adapter.ts';
import { fakeProxyConfig, makeCluster, makeService, makeSlice, testNodeName } from './kube-proxy-test-env.ts';
import { parseKubeProxyConfig } from '../../src/proxy/load-config.ts';

const fixture = (name: string) => new URL(`../fixtures/iptables/${name}`, import.meta.url).pathname;

function assertSameRules(built: Ruleset, parsed: Ruleset): void {
  treatNfacctAsAlwaysMatching(parsed);
  assert.deepEqual(
    built.tables.map((t) => t.name),
    parsed.tables.map((t) => t.name),
  );
  built.tables.forEach((bt, ti) => {
    const pt = parsed.tables[ti];
    assert.deepEqual(
      bt.chains.map((c) => `${c.name} ${c.policy}`),
      pt.chains.map((c) => `${c.name} ${c.policy}`),
    );
    bt.chains.forEach((bc, ci) => {
      const pc = pt.chains[ci];
      assert.equal(bc.rules.length, pc.rules.length, `${bt.name}/${bc.name} rule count`);
      bc.rules.forEach((br, ri) => {
        const pr = pc.rules[ri];
        const pick = (r: typeof br) => ({ text: r.text, args: r.args, matches: r.matches, target: r.target, unsupported: r.unsupported });
        assert.deepEqual(pick(br), pick(pr), `${bt.name}/${bc.name} rule ${ri + 1}: ${pr.text}`);
      });
    });
  });
}

const COLUMNS = [
  'chainStart',
  'chainEnd',
  'chainBuiltin',
  'chainDrop',
  'flags',
  'dstAddr',
  'dstMask',
  'srcAddr',
  'srcMask',
  'proto',
  'dportProto',
  'dportLo',
  'dportHi',
  'ctBits',
  'statProb',
  'targetKind',
  'targetA',
  'targetB',
  'aux',
] as const;

/** Row for row, column for column, text for text: the streamed compilation is the parsed text's compilation. */
function assertSameColumns(built: CompiledRuleset, parsed: CompiledRuleset): void {
  assert.deepEqual([...built.tables.keys()], [...parsed.tables.keys()]);
  for (const [name, pt] of parsed.tables) {
    const bt = built.tables.get(name)!;
    assert.equal(bt.ruleCount, pt.ruleCount, `${name} rules`);
    assert.equal(bt.chainCount, pt.chainCount, `${name} chains`);
    for (let c = 0; c < pt.chainCount; c++) assert.equal(bt.chainName(c), pt.chainName(c));
    for (const col of COLUMNS) {
      const n = col.startsWith('chain') ? pt.chainCount : pt.ruleCount;
      assert.deepEqual(bt[col].subarray(0, n), pt[col].subarray(0, n), `${name} ${col}`);
    }
    assert.deepEqual(bt.extras, pt.extras, `${name} extras`);
    for (let r = 0; r < pt.ruleCount; r++) assert.equal(bt.text.ruleText(r), pt.text.ruleText(r), `${name} rule ${r} text`);
  }
}

function check(plane: IptablesDataPlane): void {
  const text = plane.render('iptables-save');
  assert.equal(writeIptablesSave(plane.ruleset), text, 'the built ruleset writes back as render() prints it');
  const parsed = parseIptablesSave(text);
  assertSameRules(plane.ruleset, parsed);
  assertSameColumns(plane.compiled, compileRuleset(parsed));
}

test('built rules equal the parsed rendering: kube-proxy golden clusters', () => {
  const config = loadKubeProxyConfig(fixture('test-node.kube-proxy.yaml'));
  for (const f of ['overall.cluster.json', 'repeated.cluster.json'])
    check(new IptablesDataPlane(readClusterFile(fixture(f)).cluster, config));
});

test('built rules equal the parsed rendering: every rule kind (affinity, Local policies, masqueradeAll, nodePortAddresses, no endpoints)', () => {
  const objects = [
    makeService(
      'ns1',
      'lb',
      {
        type: 'LoadBalancer',
        clusterIP: '172.30.0.41',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 30000,
        externalIPs: ['192.168.99.22'],
        loadBalancerSourceRanges: ['192.168.0.0/24', '203.0.113.0/25'],
        sessionAffinity: 'ClientIP',
        ports: [
          { name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 },
          { name: 'dns', port: 53, protocol: 'UDP', nodePort: 3053 },
        ],
      },
      ['1.2.3.4'],
    ),
    makeService('ns1', 'itp', {
      clusterIP: '172.30.0.42',
      internalTrafficPolicy: 'Local',
      ports: [{ name: 'sctp', port: 99, protocol: 'SCTP' }],
    }),
    makeService(
      'ns1',
      'none',
      {
        type: 'NodePort',
        clusterIP: '172.30.0.43',
        externalIPs: ['192.168.99.23'],
        ports: [{ port: 80, protocol: 'TCP', nodePort: 3002 }],
      },
      ['5.6.7.8'],
    ),
    makeSlice(
      'ns1',
      'lb',
      [
        { ip: '10.0.1.1', node: testNodeName },
        { ip: '10.0.1.2' },
        { ip: '10.0.1.3', node: testNodeName, ready: false, serving: true, terminating: true },
      ],
      [
        { name: 'p80', port: 8080 },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
    ),
    makeSlice('ns1', 'itp', [{ ip: '10.0.2.1', node: testNodeName }, { ip: '10.0.2.2' }], [{ name: 'sctp', port: 99, protocol: 'SCTP' }]),
  ];
  const cluster = makeCluster(objects);
  for (const overrides of [
    {},
    { masqueradeAll: true },
    { clusterCIDR: '' },
    { iptables: { localhostNodePorts: false } },
    { nodePortAddresses: ['192.168.0.0/24', '127.0.0.0/8'] },
    { nodePortAddresses: ['192.168.1.0/24'], iptables: { localhostNodePorts: false, masqueradeBit: 5 } },
    { nodePortAddresses: ['primary'] },
  ]) {
    check(new IptablesDataPlane(cluster, fakeProxyConfig(overrides), { nfacct: false, randomFully: true }));
    check(new IptablesDataPlane(cluster, fakeProxyConfig(overrides), { conntrackTCPLiberal: true }));
  }
});

test('built rules equal the parsed rendering: a generated cluster in large-cluster mode', () => {
  const cluster = generateCluster(loadScenario(new URL('../../scenarios/scale-sweep.yaml', import.meta.url).pathname), 1000);
  const plane = new IptablesDataPlane(
    cluster,
    parseKubeProxyConfig({ hostnameOverride: cluster.nodes[0].metadata.name, clusterCIDR: cluster.config.clusterCIDR }),
  );
  const sepLines = plane
    .render('iptables-save')
    .split('\n')
    .filter((l) => l.startsWith('-A KUBE-SEP-'));
  assert.ok(sepLines.length > 2000);
  assert.ok(
    sepLines.every((l) => !l.includes('--comment')),
    'no per-endpoint comments above 1000 endpoints (largeClusterMode)',
  );
  check(plane);
});

/** iptables-restore lines of a full sync from `before` to `plane`'s rules: the text, plus a chain line and a -X per chain gone. */
function fullRestoreLines(plane: IptablesDataPlane, before: Set<string>): number {
  const now = natChains(plane);
  let gone = 0;
  for (const c of before) if (!now.has(c)) gone++;
  return plane.restoreText().split('\n').length - 1 + 2 * gone;
}

const natChains = (plane: IptablesDataPlane) => new Set(plane.ruleset.tables.find((t) => t.name === 'nat')!.chains.map((c) => c.name));

test("a sync that changes a few ports copies the other ports' rows: the same tables and restore lines as compiling everything", () => {
  const scenario = loadScenario(new URL('../../scenarios/scale-sweep.yaml', import.meta.url).pathname);
  const base = generateCluster(scenario, 120);
  const plusOne = generateCluster(scenario, 121);
  const node = base.nodes[0];
  const config = parseKubeProxyConfig({ hostnameOverride: node.metadata.name, clusterCIDR: base.config.clusterCIDR });
  const user = (c: typeof base, k: number) =>
    c.endpointSlices.filter((s) => s.metadata.namespace !== 'kube-system' && s.metadata.namespace !== 'default')[k];
  const withSlice = (c: typeof base, k: number, edit: (s: (typeof base.endpointSlices)[number]) => typeof s) => {
    const target = user(c, k);
    return { ...c, endpointSlices: c.endpointSlices.map((s) => (s === target ? edit(s) : s)) };
  };
  const steps: [string, typeof base][] = [
    ['one service added', plusOne],
    ['one endpoint gone', withSlice(plusOne, 3, (s) => ({ ...s, endpoints: s.endpoints!.slice(0, -1) }))],
    ['every endpoint of a service gone (REJECT)', withSlice(plusOne, 5, (s) => ({ ...s, endpoints: [] }))],
    [
      'an endpoint not ready',
      withSlice(plusOne, 7, (s) => ({
        ...s,
        endpoints: s.endpoints!.map((e, i) => (i === 0 ? { ...e, conditions: { ready: false } } : e)),
      })),
    ],
    [
      'one service deleted',
      { ...plusOne, services: plusOne.services.filter((s) => s !== plusOne.services.find((x) => x.spec.type === 'NodePort')) },
    ],
    ['nothing changed', plusOne],
    ['back to the start (a service and its chains gone)', base],
    [
      'the node relabelled (a full sync)',
      {
        ...base,
        nodes: base.nodes.map((n) =>
          n === node
            ? { ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, 'topology.kubernetes.io/zone': 'elsewhere' } } }
            : n,
        ),
      },
    ],
    ['most services replaced', generateCluster({ ...scenario, seed: `${scenario.seed}-other` }, 120)],
  ];
  const plane = new IptablesDataPlane(base, config);
  for (const [what, cluster] of steps) {
    const before = natChains(plane);
    const work = plane.sync(cluster);
    check(plane);
    assert.equal(work.restore_lines, fullRestoreLines(plane, before), `${what}: restore lines`);
    const fresh = new IptablesDataPlane(cluster, config);
    assertSameColumns(plane.compiled, fresh.compiled);
  }
});
