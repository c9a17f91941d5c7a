import { createTheme } from '@mantine/core';

// Indigo 8 on white and white on indigo 8 pass WCAG AA contrast (axe: color-contrast) for text and buttons.
export const theme = createTheme({ primaryColor: 'indigo', primaryShade: 8 });
