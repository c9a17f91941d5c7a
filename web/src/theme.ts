import { TextInput, Textarea, createTheme, type CSSVariablesResolver } from '@mantine/core';

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

/** Mantine's default dimmed text (gray 6) is 3.3:1 on white; gray 7 passes AA (axe color-contrast). */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: {},
});
