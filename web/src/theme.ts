import {
  TextInput,
  Textarea,
  createTheme,
  darken,
  luminance,
  type CSSVariablesResolver,
  type MantineThemeColors,
} from '@mantine/core';

// Indigo 8 on white and white on indigo 8 pass WCAG AA contrast (axe: color-contrast) for text and buttons.
// No asterisk after a required field's label: the label text is exactly the field's name ("Email",
// not "Email *") for people and for tests that find fields by label; the input is still `required`.
export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: 8,
  components: {
    TextInput: TextInput.extend({ defaultProps: { withAsterisk: false } }),
    Textarea: Textarea.extend({ defaultProps: { withAsterisk: false } }),
  },
});

/** WCAG 2.x AA: 4.5:1 for normal-size text. */
export const AA_TEXT_CONTRAST = 4.5;

/** The WCAG contrast ratio of two opaque colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** `color` as is when it reads at AA on `background`, else darkened in 5 % steps until it does. */
export function readableOn(color: string, background: string): string {
  for (let step = 0; step < 20; step += 1) {
    const candidate = step === 0 ? color : darken(color, step * 0.05);
    if (contrastRatio(candidate, background) >= AA_TEXT_CONTRAST) return candidate;
  }
  return '#000000';
}

/**
 * The text colour of the `light` variant (Alert titles, light Badges and Buttons) is shade 9 on a
 * shade 1 background: 3.6:1 for orange, 3.8:1 for green, less for lime/yellow. Each palette gets the
 * darkest-needed version of its shade 9 that reaches AA on its own light background (and so on white).
 */
function readableLightVariantColors(colors: MantineThemeColors): Record<string, string> {
  return Object.fromEntries(
    Object.entries(colors).map(([name, shades]) => [
      `--mantine-color-${name}-light-color`,
      readableOn(shades[9], shades[1]),
    ]),
  );
}

/**
 * Light-scheme colours raised to WCAG AA (axe: color-contrast):
 * - dimmed text: Mantine's gray 6 is 3.3:1 on white, gray 7 is 8.2:1;
 * - errors (field error text, an invalid input's text and border): Mantine's red 6 is 3.3:1 on
 *   white, red 9 is 5.5:1 (text needs 4.5:1, a border 3:1);
 * - the light variant's text colour, see readableLightVariantColors.
 */
export const cssVariablesResolver: CSSVariablesResolver = (resolved) => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
    ...readableLightVariantColors(resolved.colors),
  },
  dark: {},
});
