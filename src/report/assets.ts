// The browser builds of vega, vega-lite and vega-embed, read from their package folders so the
// page can inline them (their export maps hide build/*.min.js from import, so we find the
// folder from the package's main entry and read the file directly).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export interface Library {
  name: string;
  version: string;
  file: string;
  code: string;
}

/** The folder of an installed package: walk up from its resolved entry to its package.json. */
export function packageDir(name: string): string {
  const entry = require.resolve(name);
  for (let dir = dirname(entry); ; ) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === name) return dir;
      } catch {
        // a nested package.json that is not the package's own: keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the package folder of ${name} (from ${entry})`);
    dir = up;
  }
}

function library(name: string, build: string): Library {
  const dir = packageDir(name);
  const file = join(dir, 'build', build);
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  return { name, version, file, code: readFileSync(file, 'utf8') };
}

let cached: Library[] | null = null;

/** vega, vega-lite and vega-embed, in the order the page must load them. */
export function browserLibraries(): Library[] {
  cached ??= [library('vega', 'vega.min.js'), library('vega-lite', 'vega-lite.min.js'), library('vega-embed', 'vega-embed.min.js')];
  return cached;
}
