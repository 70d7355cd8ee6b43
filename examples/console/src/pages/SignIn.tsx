// Sign-in: paste a bearer token (`npm run token -- <email>`), or, against an API running with
// DEV_SIGN_IN=on (npm start sets it), pick a demo user (its /dev/users and /dev/token endpoints are 404 otherwise).
import { Alert, Button, Card, Container, Group, Stack, Text, Textarea, Title } from '@mantine/core';
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
    <Container component="main" size="sm" py="xl">
      <Stack>
        <Title order={1}>Sign in to atlas-gate</Title>
        {notice && (
          <Alert color="yellow" role="alert">
            {notice}
          </Alert>
        )}
        <Card withBorder>
          <form
            onSubmit={(event) => {
              event.preventDefault();
              if (pasted.trim()) onToken(pasted.trim().replace(/^Bearer\s+/i, ''));
            }}
          >
            <Stack gap="sm">
              <Textarea
                label="Bearer token"
                description="npm run token -- <email> prints one"
                value={pasted}
                onChange={(event) => setPasted(event.currentTarget.value)}
                autosize
                minRows={3}
              />
              <Group>
                <Button type="submit">Sign in</Button>
              </Group>
            </Stack>
          </form>
        </Card>
        {demoUsers.length > 0 && (
          <Card withBorder component="section" aria-label="Demo users">
            <Title order={2} size="h4" mb="sm">
              Demo users (development API)
            </Title>
            <Stack gap="xs" align="start">
              {demoUsers.map((user) => (
                <Button key={user.email} variant="light" onClick={() => pick(user.email)}>
                  Sign in as {user.email}
                </Button>
              ))}
            </Stack>
            <Text size="xs" c="dimmed" mt="sm">
              Offered only by an API with DEV_SIGN_IN=on on a developer's machine.
            </Text>
          </Card>
        )}
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
      </Stack>
    </Container>
  );
}
