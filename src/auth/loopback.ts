// What counts as "this machine" for the development sign-in: the address the server binds (HOST)
// and the name a browser put in a request's Host header. A token-minting endpoint must be neither
// reachable from a network nor readable by a page whose DNS name was rebound to 127.0.0.1.

/** A bind address on the loopback interface: `localhost`, `::1` or `127.x.x.x`. */
export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * A Host header naming this machine: `localhost`, `127.0.0.1` or `[::1]`, with or without a port.
 * A rebound name (`evil.example` resolving to 127.0.0.1) still carries its own name here.
 */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  const match = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i.exec(header ?? '');
  return match !== null;
}
