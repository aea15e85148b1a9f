import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Loading } from '../components/ui.tsx';

/**
 * A page loaded on first use (its own chunk), so rarely used pages do not grow the main bundle.
 * Preact's own `lazy` lives in preact/compat; this small wrapper avoids pulling compat in.
 */
export const lazyPage = <P extends object>(load: () => Promise<ComponentType<P>>) => {
  let loaded: ComponentType<P> | undefined;
  return (props: P) => {
    const [Page, setPage] = useState<ComponentType<P> | undefined>(() => loaded);
    const [error, setError] = useState<string>();
    useEffect(() => {
      if (Page) return;
      load().then(
        (c) => setPage(() => (loaded = c)),
        (e: Error) => setError(`Could not load the page: ${e.message}`),
      );
    }, []);
    if (error) return <p class="error">{error}</p>;
    return Page ? <Page {...props} /> : <Loading />;
  };
};
