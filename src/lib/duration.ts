// Hand-written on purpose: configuration durations are whole seconds, and a bare number means
// seconds. `ms` (vercel/ms), the usual library, reads a bare number as milliseconds and accepts
// fractions, negative values and units from `ms` to `y`: a wrapper giving these answers would be
// as long as this parser, plus a dependency.
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses "900", "900s", "15m", "12h" or "7d" into seconds; returns undefined when malformed. */
export function parseDurationSeconds(value: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
  return seconds > 0 ? seconds : undefined;
}
