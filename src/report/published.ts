// The published figures the reproduction panel compares against: data/published-figures.json,
// read at report time. A missing or malformed file is a note in the report, never a crash.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PUBLISHED_FIGURES_FILE = fileURLToPath(new URL('../../data/published-figures.json', import.meta.url));

export interface PublishedFigure {
  id: string;
  source: string;
  metric?: string;
  mode?: string;
  unit?: string;
  conditions?: string;
  approx?: boolean;
  note?: string;
  notes?: string[];
  points: Record<string, unknown>[];
}

export interface PublishedFigures {
  file: string;
  figures: PublishedFigure[];
  /** Why the file could not be used (the panel shows it). */
  error?: string;
}

export function loadPublishedFigures(file = PUBLISHED_FIGURES_FILE): PublishedFigures {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return { file, figures: [], error: `cannot read the published figures: ${(err as Error).message}` };
  }
  const list = (data as { figures?: unknown } | null)?.figures;
  if (!Array.isArray(list)) return { file, figures: [], error: 'the published figures file has no "figures" list' };
  const figures: PublishedFigure[] = [];
  for (const f of list) {
    if (typeof f !== 'object' || f === null) continue;
    const g = f as Record<string, unknown>;
    if (typeof g.id !== 'string' || !Array.isArray(g.points)) continue;
    figures.push({
      ...(g as object),
      id: g.id,
      source: typeof g.source === 'string' ? g.source : '(source not given)',
      points: g.points.filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null),
    });
  }
  return { file, figures };
}

/** A source line that does not say "same as above": resolved against the figure it refers to. */
export function sourceOf(pub: PublishedFigures, fig: PublishedFigure): string {
  if (!/^same as above/i.test(fig.source)) return fig.source;
  const i = pub.figures.indexOf(fig);
  for (let j = i - 1; j >= 0; j--) if (!/^same as above/i.test(pub.figures[j].source)) return pub.figures[j].source;
  return fig.source;
}

export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
