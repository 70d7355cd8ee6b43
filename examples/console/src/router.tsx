// A few routes need no router library: the path lives in history, links push onto it.
import { type ReactNode, useEffect, useState } from 'react';

export function navigate(to: string) {
  window.history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return path;
}

/** Links to this console's own pages; a run link from the API (`${PUBLIC_APP_URL}/...`) keeps only its path. */
export function Link({ to, children }: { to: string; children: ReactNode }) {
  const path = to.startsWith('http') ? new URL(to).pathname : to;
  return (
    <a
      href={path}
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey) return;
        event.preventDefault();
        navigate(path);
      }}
    >
      {children}
    </a>
  );
}
