// Every section of a scenario checked with the schema of the command that reads it, so
// `kpsim validate` refuses what `sweep`, `churn` or `simulate` would refuse.
import { checkConfig } from '../cluster/config.ts';
import { parseChurnSpec } from '../controlplane/spec.ts';
import { costModelWith } from '../metrics/cost-model.ts';
import { parseKubeProxyConfig } from '../proxy/load-config.ts';
import { scenarioConfig } from '../scenario/generate.ts';
import type { Scenario } from '../scenario/schema.ts';
import { parseSweep, parseWorkload } from '../workload/schema.ts';

export function checkScenarioSections(scenario: Scenario, file = scenario.file ?? '(scenario)'): void {
  checkConfig(scenarioConfig(scenario), file, 'cluster');
  parseWorkload(scenario.workload, file);
  parseSweep(scenario.sweep, file);
  costModelWith(scenario.costModel, file);
  parseChurnSpec(scenario.churn, file);
  if (scenario.proxy !== undefined) parseKubeProxyConfig(scenario.proxy, file, 'proxy');
}
