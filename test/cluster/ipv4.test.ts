import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, cidrsOverlap, formatIPv4, parseCidr, parseIPv4, tryParseCidr, tryParseIPv4 } from '../../src/util/ipv4.ts';

test('parses and formats dotted quads as uint32', () => {
  assert.equal(parseIPv4('10.96.0.1'), 0x0a600001);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  assert.equal(formatIPv4(0xc0a80001), '192.168.0.1');
  for (const bad of ['10.0.0', '10.0.0.256', '01.2.3.4', 'a.b.c.d', '1.2.3.4.5', '']) assert.equal(tryParseIPv4(bad), null, bad);
});

test('CIDRs: containment, overlap, strict host bits', () => {
  const svc = parseCidr('10.96.0.0/12');
  assert.ok(cidrContains(svc, parseIPv4('10.111.255.254')));
  assert.ok(!cidrContains(svc, parseIPv4('10.112.0.0')));
  assert.ok(cidrsOverlap(parseCidr('10.0.0.0/8'), svc));
  assert.ok(!cidrsOverlap(parseCidr('10.244.0.0/16'), svc));
  assert.equal(tryParseCidr('10.96.0.1/12'), null);
  assert.equal(tryParseCidr('10.96.0.1/12', false)?.addr, parseIPv4('10.96.0.0'));
  assert.equal(tryParseCidr('10.0.0.0/33'), null);
  assert.equal(parseCidr('0.0.0.0/0').mask, 0);
  assert.throws(() => parseCidr('nope'), /invalid CIDR "nope"/);
});
