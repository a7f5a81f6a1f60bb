import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_COST_MODEL, costModelWith } from '../../src/metrics/cost-model.ts';
import { lookupCostNs, syncCostNs, userspaceCrossingNs } from '../../src/metrics/pricing.ts';
import { newLookupResult } from '../../src/proxy/types.ts';

// A sync's work in the modes' own field names (descriptor.syncWork).
const work = (w: Record<string, number>) => ({ restore_lines: 0, total_rules: 0, ...w });

test('the calibration reproduces its sources', () => {
  const cm = DEFAULT_COST_MODEL;
  // tigera2019-cpu: 20,000 rules per new connection cost 0.35 of a core at 1,000 conn/s.
  assert.ok(Math.abs((20000 * cm.iptablesRuleNs * 1000) / 1e9 - 0.35) < 1e-9);
  // k8s96018-restore: 695,992 lines in 12.8 s.
  assert.ok(Math.abs(syncCostNs(cm, 'iptables', work({ restore_lines: 695992 })) / 1e9 - 12.8) < 1e-6);
  // huawei2017-iptables-rule-add, legacy profile: both points within a factor of 2.
  for (const [rules, published] of [
    [40000, 660],
    [160000, 18000],
  ]) {
    const s = syncCostNs(cm, 'iptables', work({ restore_lines: rules, total_rules: rules }), 'legacy') / 1e9;
    assert.ok(s / published < 2 && published / s < 2, `${rules} rules: ${s} s vs ${published} s`);
  }
});

test('pricing follows the counts it is given', () => {
  const cm = DEFAULT_COST_MODEL;
  const r = newLookupResult();
  r.rulesEvaluated = 1000;
  assert.equal(lookupCostNs(cm, 'iptables', r), 1000 * cm.iptablesRuleNs);
  r.rulesEvaluated = 12;
  r.hashProbes = 2;
  r.verdict = 'DNAT';
  assert.equal(lookupCostNs(cm, 'ipvs', r), 12 * cm.iptablesRuleNs + 2 * cm.ipvsProbeNs + cm.ipvsScheduleNs);
  assert.equal(syncCostNs(cm, 'ipvs', work({ netlink_ops: 4, ipset_ops: 1 })), 4 * cm.ipvsNetlinkOpNs + cm.ipsetOpNs);
  assert.ok(userspaceCrossingNs(cm) > 2 * cm.contextSwitchNs);
});

test('scenario overrides replace constants and reject unknown names', () => {
  assert.equal(costModelWith({ iptablesRuleNs: 35 }).iptablesRuleNs, 35);
  assert.equal(costModelWith(undefined).iptablesRuleNs, DEFAULT_COST_MODEL.iptablesRuleNs);
  assert.throws(() => costModelWith({ iptablesRuleNS: 35 }, 's.yaml'), /s\.yaml: costModel\.iptablesRuleNS: unknown cost-model constant/);
  assert.throws(() => costModelWith({ iptablesRuleNs: -1 }, 's.yaml'), /s\.yaml: costModel\.iptablesRuleNs: .*\(got -1\)/);
});
