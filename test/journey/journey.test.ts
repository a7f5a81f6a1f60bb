import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterNetwork, runJourney, type Journey, type NetworkOptions } from '../../src/journey/index.ts';
import { DEFAULT_COST_MODEL } from '../../src/metrics/cost-model.ts';
import { vxlanOverheadNs } from '../../src/metrics/pricing.ts';
import { modeNames } from '../../src/proxy/modes.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { CLIENT_POD, EXTERNAL_CLIENT, NODE_A, NODE_B, NP_CLUSTER, NP_LOCAL, SELF, SELF_POD, WEB, journeyCluster } from './fixture.ts';

const ip = parseIPv4;
const net = (opts: Partial<NetworkOptions> = {}) => new ClusterNetwork(journeyCluster(), { mode: 'iptables', seed: 7, ...opts });
const hopsNamed = (j: Journey, name: string) => j.hops.filter((h) => h.name === name);

test("NodePort with externalTrafficPolicy Cluster: delivered on another node with the node's IP as source", () => {
  const n = net();
  const j = runJourney(n, {
    client: { kind: 'external', ip: EXTERNAL_CLIENT, node: NODE_A.name },
    dst: { ip: NODE_A.ip, port: NP_CLUSTER.nodePort },
  });
  assert.equal(j.outcome, 'delivered');
  assert.equal(j.verdict, 'DNAT');
  assert.equal(j.masqueraded, true);
  assert.deepEqual(j.endpoint, { ip: ip(NP_CLUSTER.endpoint), port: NP_CLUSTER.port, node: NODE_B.name });
  assert.equal(j.podSaw!.src, ip(NODE_A.ip), "the pod sees node-a's address");
  assert.equal(j.sourcePreserved, false);
  // MASQUERADE picked the port on node-a; the packet then crossed to node-b.
  const snat = hopsNamed(j, 'masquerade');
  assert.equal(snat.length, 1);
  assert.equal(snat[0].node, NODE_A.name);
  assert.equal(snat[0].after.src, ip(NODE_A.ip));
  assert.ok(j.hops.some((h) => h.kind === 'wire' && h.node === NODE_B.name && h.phase === 'request'));
  // The reply is un-SNATed and un-DNATed on node-a: from the NodePort back to the client.
  assert.deepEqual(j.reply, { src: ip(NODE_A.ip), sport: NP_CLUSTER.nodePort, dst: ip(EXTERNAL_CLIENT), dport: j.client.port });
  assert.equal(
    j.totalNs,
    j.hops.reduce((s, h) => s + h.ns, 0),
  );
});

test("NodePort with externalTrafficPolicy Local on a node with a local endpoint keeps the client's IP", () => {
  const j = runJourney(net(), {
    client: { kind: 'external', ip: EXTERNAL_CLIENT, node: NODE_B.name },
    dst: { ip: NODE_B.ip, port: NP_LOCAL.nodePort },
  });
  assert.equal(j.outcome, 'delivered');
  assert.equal(j.masqueraded, false);
  assert.equal(j.podSaw!.src, ip(EXTERNAL_CLIENT));
  assert.equal(j.sourcePreserved, true);
  assert.equal(j.endpoint!.node, NODE_B.name);
  assert.equal(hopsNamed(j, 'masquerade').length, 0);
  assert.equal(j.hops.filter((h) => h.name === 'wire').length, 0, 'stays on node-b');
  assert.deepEqual(j.reply, { src: ip(NODE_B.ip), sport: NP_LOCAL.nodePort, dst: ip(EXTERNAL_CLIENT), dport: j.client.port });
});

test('NodePort with externalTrafficPolicy Local on a node without a local endpoint is dropped', () => {
  const j = runJourney(net(), {
    client: { kind: 'external', ip: EXTERNAL_CLIENT, node: NODE_A.name },
    dst: { ip: NODE_A.ip, port: NP_LOCAL.nodePort },
  });
  assert.equal(j.outcome, 'dropped');
  assert.equal(j.verdict, 'DROP');
  assert.equal(j.podSaw, null);
  assert.equal(j.reply, null);
  assert.equal(j.hops.at(-1)!.name, 'rules');
  assert.equal(j.hops.at(-1)!.node, NODE_A.name);
});

test('hairpin: a pod reaching its own service and landing on itself is masqueraded', () => {
  const j = runJourney(net(), { client: { kind: 'pod', ip: SELF_POD }, dst: { ip: SELF.vip, port: SELF.port } });
  assert.equal(j.outcome, 'delivered');
  assert.equal(j.endpoint!.ip, ip(SELF_POD));
  assert.equal(j.masqueraded, true);
  assert.equal(j.podSaw!.src, ip(NODE_A.ip), 'the pod sees the node, not itself');
  assert.equal(j.hops.filter((h) => h.kind === 'wire').length, 0, 'never leaves node-a');
  assert.deepEqual(j.reply, { src: ip(SELF.vip), sport: SELF.port, dst: ip(SELF_POD), dport: j.client.port });
});

test('pod to ClusterIP on another node: the reply is reverse-translated to come from the service VIP:port', () => {
  const j = runJourney(net(), { client: { kind: 'pod', ip: CLIENT_POD }, dst: { ip: WEB.vip, port: WEB.port } });
  assert.equal(j.outcome, 'delivered');
  assert.equal(j.masqueraded, false);
  assert.equal(j.sourcePreserved, true);
  assert.deepEqual(j.podSaw, { src: ip(CLIENT_POD), sport: j.client.port, dst: ip(WEB.endpoint), dport: WEB.targetPort });
  // On node-a the reply matches the entry in the reply direction: source back to the VIP.
  const unNat = j.hops.filter((h) => h.phase === 'reply' && h.kind === 'conntrack' && h.node === NODE_A.name);
  assert.equal(unNat.length, 1);
  assert.equal(unNat[0].before.src, ip(WEB.endpoint));
  assert.equal(unNat[0].after.src, ip(WEB.vip));
  assert.equal(unNat[0].after.sport, WEB.port);
  assert.deepEqual(j.reply, { src: ip(WEB.vip), sport: WEB.port, dst: ip(CLIENT_POD), dport: j.client.port });
  // Every node the packets entered has its own data plane, built on first use.
  assert.ok(
    j.hops.some((h) => h.kind === 'rules' && h.node === NODE_B.name),
    'node-b walks its rules for the new forwarded flow',
  );
});

test('vxlan adds the encapsulation cost to every node-to-node crossing; routed does not', () => {
  const spec = { client: { kind: 'pod' as const, ip: CLIENT_POD }, dst: { ip: WEB.vip, port: WEB.port } };
  const routed = runJourney(net({ network: 'routed' }), spec);
  const vxlan = runJourney(net({ network: 'vxlan' }), spec);
  assert.equal(routed.endpoint!.node, NODE_B.name);
  assert.equal(routed.hops.filter((h) => h.kind === 'encap' || h.kind === 'decap').length, 0);
  assert.equal(vxlan.hops.filter((h) => h.kind === 'encap').length, 2, 'request and reply each cross once');
  assert.equal(vxlan.totalNs - routed.totalNs, Math.round(2 * vxlanOverheadNs(DEFAULT_COST_MODEL)));
  assert.ok(vxlanOverheadNs(DEFAULT_COST_MODEL) > DEFAULT_COST_MODEL.vxlanEncapNs);
});

test('a request/response TCP connection is closed and its entry sits in TIME_WAIT (2 min)', () => {
  const n = net();
  const j = runJourney(n, { client: { kind: 'pod', ip: CLIENT_POD }, dst: { ip: WEB.vip, port: WEB.port } });
  const a = n.node(n.topology.node(NODE_A.name)).conntrack;
  const entry = a.snapshot(j.cursor).find((e) => e.original.src === ip(CLIENT_POD) && e.original.sport === j.client.port)!;
  assert.equal(entry.state, 'CLOSING');
  assert.equal(entry.expiresAtNs - j.cursor, 120e9);
});

for (const mode of modeNames()) {
  test(`every proxy mode carries a pod's connection and its reply (${mode})`, () => {
    const j = runJourney(net({ mode }), { client: { kind: 'pod', ip: CLIENT_POD }, dst: { ip: WEB.vip, port: WEB.port } });
    assert.equal(j.outcome, 'delivered', JSON.stringify(j.hops.map((h) => `${h.node} ${h.name} ${h.note}`)));
    assert.equal(j.endpoint!.ip, ip(WEB.endpoint));
    assert.deepEqual(j.reply, { src: ip(WEB.vip), sport: WEB.port, dst: ip(CLIENT_POD), dport: j.client.port });
    if (mode === 'userspace') {
      // kube-proxy itself connects to the endpoint: the pod sees the node, and both directions cross user space.
      assert.equal(j.sourcePreserved, false);
      assert.equal(j.podSaw!.src, ip(NODE_A.ip));
      assert.equal(j.hops.filter((h) => h.kind === 'userspace').length, 2);
    } else {
      assert.equal(j.sourcePreserved, true);
      assert.equal(j.hops.filter((h) => h.kind === 'userspace').length, 0);
    }
  });
}

test('data planes are built lazily, only on nodes packets enter', () => {
  const n = net();
  runJourney(n, { client: { kind: 'external', ip: EXTERNAL_CLIENT, node: NODE_B.name }, dst: { ip: NODE_B.ip, port: NP_LOCAL.nodePort } });
  assert.deepEqual(n.dataPlanesBuilt, [NODE_B.name]);
  runJourney(n, { client: { kind: 'pod', ip: CLIENT_POD }, dst: { ip: WEB.vip, port: WEB.port } });
  assert.deepEqual(n.dataPlanesBuilt, [NODE_B.name, NODE_A.name]);
});
