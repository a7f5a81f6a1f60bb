// KubeProxyConfiguration files and objects, checked against the registered modes: the mode
// enum and the mode sections come from the registry, the core fields from config.ts.
import { parseDocument } from 'yaml';
import { InputError } from '../util/errors.ts';
import { ioName, readInput } from '../util/stdio.ts';
import { type KnownModes, type KubeProxyConfiguration, parseConfigWith } from './config.ts';
import { allModes, modeNames } from './modes.ts';

function known(): KnownModes {
  return { modes: modeNames(), sections: allModes().flatMap((m) => (m.configSection ? [m.configSection] : [])) };
}

export function parseKubeProxyConfig(raw: unknown, path = '(config)'): KubeProxyConfiguration {
  return parseConfigWith(raw, path, known());
}

export function loadKubeProxyConfig(path: string): KubeProxyConfiguration {
  const text = readInput(path, 'KubeProxyConfiguration');
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new InputError(`malformed YAML/JSON: ${doc.errors[0].message.split('\n')[0]}`, ioName(path));
  return parseKubeProxyConfig(doc.toJS() ?? {}, ioName(path));
}
