// Headless rendering in Node: vega-lite spec -> vega spec -> SVG, no browser and no canvas.
// vega is loaded on first use: importing it costs ~0.6 s, which every CLI start would pay.
import type { TopLevelSpec, compile } from 'vega-lite';

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
    error(...args: unknown[]) {
      sink.push(`error: ${args.map(String).join(' ')}`);
      return logger;
    },
    warn(...args: unknown[]) {
      sink.push(`warning: ${args.map(String).join(' ')}`);
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

export interface Rendered {
  svg: string;
  /** vega-lite and vega warnings (a clean spec has none). */
  warnings: string[];
}

export async function renderSvg(spec: TopLevelSpec): Promise<Rendered> {
  const [{ View, parse }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const warnings: string[] = [];
  const vg = compile(spec, { logger: collectingLogger(warnings) }).spec;
  const view = new View(parse(vg), { renderer: 'none', logger: collectingLogger(warnings) });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}
