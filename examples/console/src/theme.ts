// One theme for the whole console (Mantine): colours follow the system's light or dark setting, and
// every text colour on its background passes WCAG AA (4.5:1; axe-core checks each page in the
// browser tests): darker filled shades, darker badge text in light mode, a darker "dimmed".
import { type CSSVariablesResolver, createTheme } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: { light: 8, dark: 8 },
  autoContrast: true,
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  headings: { fontWeight: '650' },
});

// Text on the light variants (badges, light buttons) in light mode: the palette's own shades are
// too pale on white for yellow, orange and green, so each gets a dark tone of itself.
const LIGHT_TEXT: Record<string, string> = {
  gray: '#495057',
  dark: '#25262b',
  blue: '#1864ab',
  indigo: '#364fc7',
  green: '#1f6f2d',
  yellow: '#7a4f00',
  orange: '#a0420a',
  red: '#b02525',
};

export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': '#5c636a',
    '--mantine-color-placeholder': '#5c636a',
    ...Object.fromEntries(
      Object.entries(LIGHT_TEXT).map(([color, text]) => [`--mantine-color-${color}-light-color`, text]),
    ),
  },
  dark: {
    '--mantine-color-dimmed': '#adb5bd',
  },
});
