// Headless rendering in Node: vega-lite spec -> vega spec -> SVG, no browser and no canvas.
import { View, parse } from 'vega';
import { type TopLevelSpec, compile } from 'vega-lite';

type Logger = NonNullable<NonNullable<Parameters<typeof compile>[1]>['logger']>;

/** A logger that keeps warnings and errors instead of printing them. */
function collectingLogger(sink: string[]): Logger {
  let level = 2;
  const logger = {
    level(v?: number) {
      if (v === undefined) return level;
      level = v;
      return logger;
    },
    error(...args: unknown[]) { sink.push(`error: ${args.map(String).join(' ')}`); return logger; },
    warn(...args: unknown[]) { sink.push(`warning: ${args.map(String).join(' ')}`); return logger; },
    info() { return logger; },
    debug() { return logger; },
  };
  return logger as Logger;
}

export interface Rendered {
  svg: string;
  /** vega-lite and vega warnings (a clean spec has none). */
  warnings: string[];
}

export async function renderSvg(spec: TopLevelSpec): Promise<Rendered> {
  const warnings: string[] = [];
  const vg = compile(spec, { logger: collectingLogger(warnings) }).spec;
  const view = new View(parse(vg), { renderer: 'none', logger: collectingLogger(warnings) } as ConstructorParameters<typeof View>[1]);
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}
