import { DEFAULT_THEME } from '@mantine/core';
import { describe, expect, it } from 'vitest';
import { AA_TEXT_CONTRAST, contrastRatio, cssVariablesResolver, readableOn, theme } from './theme';

const resolved = { ...DEFAULT_THEME, ...theme, colors: DEFAULT_THEME.colors } as typeof DEFAULT_THEME;
const light = cssVariablesResolver(resolved).light;
const shade = (reference: string) => {
  const [, name, index] = /^var\(--mantine-color-(\w+)-(\d)\)$/.exec(reference)!;
  return DEFAULT_THEME.colors[name!]![Number(index)]!;
};

describe('theme contrast (WCAG AA, what axe color-contrast checks)', () => {
  it('computes the WCAG ratio', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1);
  });

  it('keeps a colour that already passes and darkens one that does not', () => {
    expect(readableOn('#000000', '#ffffff')).toBe('#000000');
    const green = DEFAULT_THEME.colors.green;
    expect(contrastRatio(green[9], green[1])).toBeLessThan(AA_TEXT_CONTRAST);
    expect(contrastRatio(readableOn(green[9], green[1]), green[1])).toBeGreaterThanOrEqual(AA_TEXT_CONTRAST);
  });

  it('makes error text (field errors, invalid inputs) readable on white', () => {
    const error = shade(light['--mantine-color-error']!);
    expect(contrastRatio(error, DEFAULT_THEME.white)).toBeGreaterThanOrEqual(AA_TEXT_CONTRAST);
    expect(contrastRatio(shade(light['--mantine-color-dimmed']!), DEFAULT_THEME.white)).toBeGreaterThanOrEqual(
      AA_TEXT_CONTRAST,
    );
  });

  it('makes every light-variant text (Alert titles, light badges) readable on its background', () => {
    for (const [name, shades] of Object.entries(DEFAULT_THEME.colors)) {
      const text = light[`--mantine-color-${name}-light-color`];
      expect(text, name).toBeDefined();
      expect(contrastRatio(text!, shades[1]), name).toBeGreaterThanOrEqual(AA_TEXT_CONTRAST);
      expect(contrastRatio(text!, DEFAULT_THEME.white), name).toBeGreaterThanOrEqual(AA_TEXT_CONTRAST);
    }
  });
});
