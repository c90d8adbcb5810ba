/** Each page names itself in the tab (and to screen readers): "<page> · Beacon". */
import { useEffect } from 'react';

export function pageTitle(name: string): string {
  return name ? `${name} · Beacon` : 'Beacon';
}

export function useTitle(name: string): void {
  useEffect(() => {
    document.title = pageTitle(name);
  }, [name]);
}
