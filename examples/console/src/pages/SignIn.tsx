// Sign-in: paste a bearer token (`npm run token -- <email>`), or, against an API running with
// DEV_SIGN_IN=on (npm start sets it), pick a demo user (its /dev/users and /dev/token endpoints are 404 otherwise).
import { useEffect, useState } from 'react';
import { API_URL } from '../client';

type DemoUser = { email: string; displayName: string };

export function SignIn({ onToken, notice }: { onToken: (token: string) => void; notice?: string | null }) {
  const [pasted, setPasted] = useState('');
  const [demoUsers, setDemoUsers] = useState<DemoUser[]>([]);
  const [error, setError] = useState<string | null>(null);
  const devUrl = (path: string) => new URL(path, API_URL).toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: asked once per page load
  useEffect(() => {
    fetch(devUrl('/dev/users'))
      .then((res) => (res.ok ? res.json() : []))
      .then(setDemoUsers)
      .catch(() => setDemoUsers([]));
  }, []);
  const pick = async (email: string) => {
    const res = await fetch(devUrl(`/dev/token?email=${encodeURIComponent(email)}`)).catch(() => null);
    if (!res?.ok) return setError('The API did not hand out a token for this user.');
    onToken((await res.json()).token);
  };
  return (
    <main>
      <h1>Sign in to atlas-gate</h1>
      {notice && <p role="alert">{notice}</p>}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (pasted.trim()) onToken(pasted.trim().replace(/^Bearer\s+/i, ''));
        }}
      >
        <label>
          Bearer token{' '}
          <textarea value={pasted} onChange={(event) => setPasted(event.target.value)} rows={3} cols={60} />
        </label>
        <button type="submit">Sign in</button>
      </form>
      {demoUsers.length > 0 && (
        <section aria-label="Demo users">
          <h2>Demo users (development API)</h2>
          {demoUsers.map((user) => (
            <button key={user.email} type="button" onClick={() => pick(user.email)}>
              Sign in as {user.email}
            </button>
          ))}
        </section>
      )}
      {error && <p role="alert">{error}</p>}
    </main>
  );
}
