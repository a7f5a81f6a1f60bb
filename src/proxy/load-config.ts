// KubeProxyConfiguration files and objects, checked against the registered modes: the mode
// enum and the mode sections come from the registry, the core fields from config.ts.
import { parseDataText } from '../util/data-text.ts';
import { ioName, readInput } from '../util/stdio.ts';
import { type KnownModes, type KubeProxyConfiguration, parseConfigWith } from './config.ts';
import { allModes, modeNames } from './modes.ts';

function known(): KnownModes {
  return { modes: modeNames(), sections: allModes().flatMap((m) => (m.configSection ? [m.configSection] : [])) };
}

/** @param section where the configuration sits in its file (a scenario's `proxy`), for messages. */
export function parseKubeProxyConfig(raw: unknown, path = '(config)', section?: string): KubeProxyConfiguration {
  return parseConfigWith(raw, path, known(), section);
}

export function loadKubeProxyConfig(path: string): KubeProxyConfiguration {
  return parseKubeProxyConfig(parseDataText(readInput(path, 'KubeProxyConfiguration'), ioName(path)) ?? {}, ioName(path));
}
