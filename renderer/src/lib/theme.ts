// Light/dark theme: follows prefers-color-scheme until the user picks one.

export type Theme = 'light' | 'dark';
const KEY = 'kmodel.theme';

function stored(): Theme | undefined {
  try {
    const t = localStorage.getItem(KEY);
    return t === 'light' || t === 'dark' ? t : undefined;
  } catch {
    return undefined;
  }
}

export function systemTheme(): Theme {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function currentTheme(): Theme {
  return (document.documentElement.dataset.theme as Theme | undefined) ?? stored() ?? systemTheme();
}

export function applyTheme(t: Theme, remember = false): void {
  document.documentElement.dataset.theme = t;
  if (remember) {
    try {
      localStorage.setItem(KEY, t);
    } catch {
      // storage may be unavailable (private mode); the choice lasts for the session
    }
  }
}

export function initTheme(): void {
  applyTheme(stored() ?? systemTheme());
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', (e) => {
    if (!stored()) applyTheme(e.matches ? 'dark' : 'light');
  });
}

export function toggleTheme(): Theme {
  const next: Theme = currentTheme() === 'dark' ? 'light' : 'dark';
  applyTheme(next, true);
  return next;
}
