// Syncs: netlink operations are the diff between the kernel's IPVS table and what kube-proxy
// wants (syncService / syncEndpoint / cleanLegacyService / graceful termination), ipset
// operations the members added and removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { IpvsDataPlane } from '../../src/proxy/ipvs/index.ts';
import { newLookupResult } from '../../src/proxy/types.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { fakeProxyConfig } from './kube-proxy-test-env.ts';
import { smallIpvsCluster } from './ipvs-small-cluster.ts';
import { PROTO_TCP } from '../../src/util/proto.ts';

const config = fakeProxyConfig({ mode: 'ipvs' });

test('first sync adds every virtual and real server; an unchanged resync does nothing', () => {
  const cluster = smallIpvsCluster();
  const p = new IpvsDataPlane(cluster, config);
  // The constructor ran the first sync: 12 virtual servers, 19 real servers.
  assert.equal(p.ipvs.netlinkOps, 31);
  const w = p.sync(cluster);
  assert.deepEqual(w, { restore_lines: 2 + 5 + 2 + 4 + 20, total_rules: 27, netlink_ops: 0, ipset_ops: 0 });
});

test('an added endpoint is one real-server add per virtual server it backs', () => {
  const p = new IpvsDataPlane(smallIpvsCluster(), config);
  const bigger = smallIpvsCluster();
  const dns = bigger.endpointSlices.find((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'kube-dns')!;
  dns.endpoints!.push({ addresses: ['10.244.0.9'], nodeName: 'test-node', conditions: {} });
  const w = p.sync(bigger);
  assert.equal(w.netlink_ops, 2); // TCP and UDP 10.96.0.10:53
  assert.equal(w.ipset_ops, 2); // KUBE-LOOP-BACK: the endpoint is local, for tcp and udp
  assert.deepEqual(p.lastSyncDetail, { virtualServerOps: 0, realServerOps: 2, addressOps: 0, ipsetOps: 2 });
});

test('a removed service deletes its virtual servers, set members and kube-ipvs0 address', () => {
  const p = new IpvsDataPlane(smallIpvsCluster(), config);
  const smaller = smallIpvsCluster();
  smaller.services = smaller.services.filter((s) => s.metadata.name !== 'shop');
  const w = p.sync(smaller);
  // shop: ClusterIP + LB IP + 3 NodePort virtual servers, deleted with their real servers.
  assert.equal(w.netlink_ops, 5);
  assert.equal(p.lastSyncDetail.addressOps, 2); // 10.96.200.7 and 198.51.100.9 unbound
  // KUBE-CLUSTER-IP, LOOP-BACK, LOAD-BALANCER, -FW, -LOCAL, -SOURCE-CIDR, NODE-PORT-TCP, -LOCAL-TCP, HEALTH-CHECK.
  assert.equal(w.ipset_ops, 9);
  assert.ok(!p.render('ipvsadm').includes('31443'));
  assert.ok(!p.render('iptables-save').includes('KUBE-LOAD-BALANCER-FW')); // rules on empty sets go
});

test('graceful termination: a TCP real server with connections goes to weight 0, then is deleted', () => {
  const cluster = smallIpvsCluster();
  const p = new IpvsDataPlane(cluster, config);
  const rng = new Rng(1);
  const out = newLookupResult();
  const pkt = { src: parseIPv4('10.244.0.50'), dst: parseIPv4('10.96.0.10'), proto: PROTO_TCP, sport: 1000, dport: 53 } as const;
  // Open connections until 10.244.1.4 has one.
  let conn = 0;
  for (let i = 0; i < 2; i++) {
    p.lookup(pkt, 'forwarded', rng, out);
    if (out.endpointIP === parseIPv4('10.244.1.4')) conn++;
  }
  assert.equal(conn, 1);
  const without = smallIpvsCluster();
  const dns = without.endpointSlices.find((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'kube-dns')!;
  dns.endpoints = dns.endpoints!.filter((e) => e.addresses[0] !== '10.244.1.4');
  const w1 = p.sync(without);
  // TCP: weight 0 (one op); UDP: deleted at once (one op).
  assert.equal(w1.netlink_ops, 2);
  const text = p.render('ipvsadm');
  assert.match(text, /TCP {2}10\.96\.0\.10:53 rr\n {2}-> 10\.244\.0\.3:53 +Masq +1 +1 +0 *\n {2}-> 10\.244\.1\.4:53 +Masq +0 +1 +0/);
  assert.doesNotMatch(text, /UDP {2}10\.96\.0\.10:53 rr\n(.*\n)* {2}-> 10\.244\.1\.4/);
  // A quiesced server gets no new connections and is not a traced endpoint.
  assert.deepEqual(p.trace(pkt, 'forwarded').endpoints, ['10.244.0.3:53']);
  // Still connected: the reaper keeps it.
  assert.equal(p.sync(without).netlink_ops, 0);
  p.connectionClosed(pkt, 'forwarded', parseIPv4('10.244.1.4'), 53);
  assert.equal(p.sync(without).netlink_ops, 1);
  assert.doesNotMatch(p.render('ipvsadm'), /10\.244\.1\.4/);
});

test('an endpoint coming back while terminating is deleted and re-added (kube-proxy 1.25)', () => {
  const cluster = smallIpvsCluster();
  const p = new IpvsDataPlane(cluster, config);
  const rng = new Rng(2);
  const out = newLookupResult();
  const pkt = { src: parseIPv4('10.244.0.50'), dst: parseIPv4('10.96.0.10'), proto: PROTO_TCP, sport: 1000, dport: 53 } as const;
  p.lookup(pkt, 'forwarded', rng, out);
  p.lookup(pkt, 'forwarded', rng, out);
  const without = smallIpvsCluster();
  const dns = without.endpointSlices.find((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'kube-dns')!;
  dns.endpoints = dns.endpoints!.filter((e) => e.addresses[0] !== '10.244.1.4');
  p.sync(without);
  const w = p.sync(cluster);
  // TCP: delete + add of the terminating one; UDP: plain add.
  assert.equal(w.netlink_ops, 3);
  assert.match(p.render('ipvsadm'), /-> 10\.244\.1\.4:53 +Masq +1 +1 +0/); // counters survive (dest_trash)
});

test('a changed affinity is one virtual-server update', () => {
  const p = new IpvsDataPlane(smallIpvsCluster(), config);
  const changed = smallIpvsCluster();
  const front = changed.services.find((s) => s.metadata.name === 'front')!;
  front.spec.sessionAffinity = 'None';
  const w = p.sync(changed);
  assert.equal(w.netlink_ops, 4); // ClusterIP + 3 NodePort virtual servers
  assert.equal(p.lastSyncDetail.virtualServerOps, 4);
  assert.doesNotMatch(p.render('ipvsadm'), /persistent/);
});
