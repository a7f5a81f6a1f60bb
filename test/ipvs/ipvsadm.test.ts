import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpvsadmList, Ipvs, SVC_F_PERSISTENT, type SchedulerName } from '../../src/ipvs/index.ts';
import { parseIPv4 } from '../../src/util/ipv4.ts';
import { PROTO_TCP, PROTO_UDP } from '../../src/util/proto.ts';

function svc(
  ipvs: Ipvs,
  proto: number,
  addr: string,
  port: number,
  dests: string[],
  opts: { scheduler?: SchedulerName; persistent?: number } = {},
) {
  const s = ipvs.addService({
    proto,
    addr: parseIPv4(addr),
    port,
    scheduler: opts.scheduler ?? 'rr',
    flags: opts.persistent ? SVC_F_PERSISTENT : 0,
    timeout: opts.persistent ?? 0,
    netmask: 0xffffffff,
  });
  for (const d of dests) {
    const [a, p] = d.split(':');
    ipvs.addDest(s, { addr: parseIPv4(a), port: Number(p), weight: 1 });
  }
  return s;
}

test('ipvsadm -Ln golden: sorted by protocol, address, port; dests by address, port', () => {
  const ipvs = new Ipvs();
  svc(ipvs, PROTO_UDP, '10.96.0.10', 53, ['10.244.2.3:53', '10.244.1.7:53']);
  svc(ipvs, PROTO_TCP, '10.96.0.10', 9153, ['10.244.1.7:9153', '10.244.2.3:9153']);
  svc(ipvs, PROTO_TCP, '10.96.0.1', 443, ['192.168.0.10:6443']);
  svc(ipvs, PROTO_TCP, '10.96.0.10', 53, ['10.244.2.3:53', '10.244.1.7:53']);
  const web = svc(ipvs, PROTO_TCP, '10.96.12.34', 80, ['10.244.1.20:8080'], { persistent: 10800, scheduler: 'wrr' });
  svc(ipvs, PROTO_TCP, '10.96.200.1', 80, []);
  // Two connections to the web service, one to DNS over UDP.
  ipvs.schedule(web, parseIPv4('10.244.2.9'), 40000, web.addr);
  ipvs.schedule(web, parseIPv4('10.244.2.9'), 40001, web.addr);
  const dns = ipvs.findService(PROTO_UDP, parseIPv4('10.96.0.10'), 53)!;
  ipvs.schedule(dns, parseIPv4('10.244.2.9'), 5353, dns.addr);
  const pad = (s: string) => s; // lines keep ipvsadm's trailing padding (%-10u)
  assert.equal(
    formatIpvsadmList(ipvs),
    [
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  10.96.0.1:443 rr',
      pad('  -> 192.168.0.10:6443            Masq    1      0          0         '),
      'TCP  10.96.0.10:53 rr',
      pad('  -> 10.244.1.7:53                Masq    1      0          0         '),
      pad('  -> 10.244.2.3:53                Masq    1      0          0         '),
      'TCP  10.96.0.10:9153 rr',
      pad('  -> 10.244.1.7:9153              Masq    1      0          0         '),
      pad('  -> 10.244.2.3:9153              Masq    1      0          0         '),
      'TCP  10.96.12.34:80 wrr persistent 10800',
      pad('  -> 10.244.1.20:8080             Masq    1      2          0         '),
      'TCP  10.96.200.1:80 rr',
      'UDP  10.96.0.10:53 rr',
      pad('  -> 10.244.1.7:53                Masq    1      0          1         '),
      pad('  -> 10.244.2.3:53                Masq    1      0          0         '),
      '',
    ].join('\n'),
  );
});

test('ipvsadm compares addresses as a signed difference (ntohl(a) - ntohl(b) in an int)', () => {
  const ipvs = new Ipvs();
  svc(ipvs, PROTO_TCP, '10.96.0.1', 443, []);
  svc(ipvs, PROTO_TCP, '192.168.0.10', 30080, []);
  // 0x0a600001 - 0xc0a8000a wraps to a positive int, so 10.96.0.1 sorts after 192.168.0.10.
  const lines = formatIpvsadmList(ipvs)
    .split('\n')
    .filter((l) => l.startsWith('TCP'));
  assert.deepEqual(lines, ['TCP  192.168.0.10:30080 rr', 'TCP  10.96.0.1:443 rr']);
});
