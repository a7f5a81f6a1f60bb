import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  getTable,
  inboundHooks,
  localOutputHooks,
  parseIptablesSave,
  walkChain,
  walkHooks,
  walkInbound,
  walkLocalOutput,
  type Packet,
} from '../../src/netfilter/index.ts';
import { formatIPv4, parseIPv4 } from '../../src/util/ipv4.ts';
import { CT_STATES } from '../../src/netfilter/values.ts';
import { PROTO_TCP, PROTO_UDP } from '../../src/util/proto.ts';

const ip = parseIPv4;
const rs = parseIptablesSave(readFileSync(new URL('../fixtures/netfilter/kube-proxy-save.txt', import.meta.url), 'utf8'));
const NODE_IP = '192.168.0.10';
const ctx = { isLocal: (a: number) => a === ip(NODE_IP) || a === ip('127.0.0.1') };
const MASQ = 0x4000;

function pkt(src: string, dst: string, dport: number, extra: Partial<Packet> = {}): Packet {
  return { src: ip(src), dst: ip(dst), proto: PROTO_TCP, sport: 40000, dport, mark: 0, ...extra };
}

test('kernel hook orders', () => {
  assert.deepEqual(
    inboundHooks(false).map((h) => `${h.table}/${h.chain}`),
    ['nat/PREROUTING', 'filter/FORWARD', 'nat/POSTROUTING'],
  );
  assert.deepEqual(
    inboundHooks(true).map((h) => `${h.table}/${h.chain}`),
    ['nat/PREROUTING', 'filter/INPUT', 'nat/INPUT'],
  );
  assert.deepEqual(
    localOutputHooks().map((h) => `${h.table}/${h.chain}`),
    ['nat/OUTPUT', 'filter/OUTPUT', 'nat/POSTROUTING'],
  );
});

test('external client to a node port: DNAT, forwarded by the masquerade mark, masqueraded', () => {
  const r = walkInbound(rs, pkt('8.8.8.8', NODE_IP, 30080), ctx, { random: () => 0.99, masqueradeMark: MASQ });
  assert.equal(r.verdict, 'ACCEPT');
  assert.equal(r.dnat, '10.244.3.8:8080');
  assert.equal(formatIPv4(r.packet.dst), '10.244.3.8');
  assert.equal(r.packet.dport, 8080);
  assert.equal(r.masquerade, true);
  assert.deepEqual(
    r.steps.map((s) => `${s.table}/${s.chain}:${s.result.verdict}`),
    ['nat/PREROUTING:DNAT', 'filter/FORWARD:ACCEPT', 'nat/POSTROUTING:MASQUERADE'],
  );
  // KUBE-POSTROUTING clears the bit before masquerading.
  assert.equal(r.packet.mark, 0);
  assert.equal(
    r.rulesEvaluated,
    r.steps.reduce((s, x) => s + x.result.rulesEvaluated, 0),
  );
});

test('pod to cluster IP: forwarded by the pod CIDR rule, not masqueraded', () => {
  const r = walkInbound(rs, pkt('10.244.9.9', '172.30.0.41', 80), ctx, { masqueradeMark: MASQ });
  assert.equal(r.verdict, 'ACCEPT');
  assert.equal(r.dnat, '10.244.1.5:8080');
  assert.equal(r.masquerade, false);
  assert.equal(r.steps[2].result.verdict, 'NONE');
});

test('hairpin: an endpoint reaching itself through the service is masqueraded', () => {
  const r = walkInbound(rs, pkt('10.244.1.5', '172.30.0.41', 80), ctx, { masqueradeMark: MASQ });
  assert.equal(r.dnat, '10.244.1.5:8080');
  assert.equal(r.masquerade, true);
});

test('service without endpoints is rejected in filter FORWARD', () => {
  const r = walkInbound(rs, pkt('10.244.9.9', '172.30.0.44', 80), ctx);
  assert.equal(r.verdict, 'REJECT');
  assert.equal(r.steps.length, 2);
});

test('established packets skip the nat table', () => {
  const r = walkInbound(rs, pkt('10.244.9.9', '10.244.1.5', 8080, { ctBits: CT_STATES.ESTABLISHED }), ctx);
  assert.equal(r.verdict, 'ACCEPT');
  assert.deepEqual(
    r.steps.map((s) => s.chain),
    ['FORWARD'],
  );
});

test('localnet protection drops non-loopback traffic to 127.0.0.0/8', () => {
  const r = walkInbound(rs, pkt('8.8.8.8', '127.0.0.1', 10249), ctx);
  assert.equal(r.verdict, 'DROP');
  assert.equal(r.steps.at(-1)!.chain, 'INPUT');
});

test('host process to cluster IP: nat OUTPUT DNAT, masqueraded in POSTROUTING', () => {
  const r = walkLocalOutput(rs, pkt(NODE_IP, '172.30.0.42', 80), ctx, { random: () => 0.1, masqueradeMark: MASQ });
  assert.equal(r.verdict, 'ACCEPT');
  assert.equal(r.dnat, '10.244.1.6:8080');
  assert.equal(r.masquerade, true);
});

test('explore mode through hooks lists every endpoint and uses the first', () => {
  const r = walkHooks(rs, pkt('10.244.9.9', '172.30.0.42', 80), ctx, inboundHooks(false), { mode: 'explore' });
  assert.deepEqual(r.dnatCandidates, ['10.244.1.6:8080', '10.244.2.7:8080', '10.244.3.8:8080']);
  assert.equal(r.dnat, '10.244.1.6:8080');
});

// kube-proxy's tracePacket (pkg/proxy/iptables/proxier_test.go) runs nat PREROUTING, rewrites
// the destination IP to the first DNAT output, then runs four filter chains directly, with
// `-m mark`/`-m conntrack`/`--rcheck` never matching. The same walk with this model:
function tracePacket(src: string, dst: string, dport: number, proto: Packet['proto'] = PROTO_TCP) {
  const opts = { mode: 'explore', history: 'never' } as const;
  const p = { ...pkt(src, dst, dport), proto };
  const nat = walkChain(getTable(rs, 'nat')!, 'PREROUTING', p, ctx, opts);
  const outputs = [...nat.outputs];
  let mark = nat.mark;
  if (outputs.length > 0) p.dst = ip(outputs[0].split(':')[0]);
  const filter = getTable(rs, 'filter')!;
  for (const chain of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']) {
    const r = walkChain(filter, chain, { ...p, mark }, ctx, opts);
    outputs.push(...r.outputs);
    mark = r.mark;
  }
  return { output: outputs.join(', '), masq: (mark & MASQ) !== 0 };
}

test('the tracer-style walk gives kube-proxy TestTracePacket-style answers', () => {
  assert.deepEqual(tracePacket('10.0.0.2', '10.0.0.3', 80), { output: '', masq: false });
  assert.deepEqual(tracePacket('10.244.9.9', '172.30.0.41', 80), { output: '10.244.1.5:8080', masq: false });
  assert.deepEqual(tracePacket('10.244.9.9', '172.30.0.42', 80), {
    output: '10.244.1.6:8080, 10.244.2.7:8080, 10.244.3.8:8080',
    masq: false,
  });
  assert.deepEqual(tracePacket('10.244.9.9', '172.30.0.43', 53, PROTO_UDP), { output: '10.244.1.9:53, 10.244.2.9:53', masq: false });
  assert.deepEqual(tracePacket('8.8.8.8', NODE_IP, 30080), { output: '10.244.1.6:8080, 10.244.2.7:8080, 10.244.3.8:8080', masq: true });
  assert.deepEqual(tracePacket('10.244.9.9', '172.30.0.44', 80), { output: 'REJECT', masq: false });
  assert.deepEqual(tracePacket(NODE_IP, NODE_IP, 30000), { output: 'ACCEPT', masq: false });
  assert.deepEqual(tracePacket('203.0.113.200', '5.6.7.8', 80), { output: 'DROP', masq: false });
  assert.deepEqual(tracePacket('203.0.113.5', '5.6.7.8', 80), { output: '10.244.3.11:80', masq: true });
  // Session affinity: the tracer never matches --rcheck, so each endpoint appears once.
  assert.deepEqual(tracePacket('10.244.9.9', '172.30.0.45', 80), { output: '10.244.1.10:80, 10.244.2.10:80', masq: false });
});
