// One timer keeps every socket of the server alive: a peer that answers pings stays open, one that
// stops answering is terminated within two rounds (real ws server and clients on loopback).
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { heartbeat } from '../../src/realtime/heartbeat.js';
import { waitFor } from '../support/wait.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

async function serverWithHeartbeat(intervalMs: number) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const stop = heartbeat(wss, intervalMs);
  cleanup.push(() => {
    stop();
    for (const socket of wss.clients) socket.terminate();
    wss.close();
  });
  return { wss, url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}` };
}

async function client(url: string, autoPong: boolean) {
  const ws = new WebSocket(url, { autoPong });
  await once(ws, 'open');
  let pings = 0;
  ws.on('ping', () => pings++);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  cleanup.push(() => ws.terminate());
  return { ws, closed, pings: () => pings };
}

describe('heartbeat', () => {
  it('pings every socket from one timer and terminates the one that stopped answering; the answering one stays open', async () => {
    const { wss, url } = await serverWithHeartbeat(100);
    const alive = await client(url, true);
    const silent = await client(url, false);
    expect(wss.clients.size).toBe(2);

    // Terminated, not closed: no close frame, so the client sees 1006 (abnormal closure).
    expect(await silent.closed).toBe(1006);
    expect(silent.pings()).toBeGreaterThanOrEqual(1);
    // The answering peer outlives several more rounds.
    const pingsThen = alive.pings();
    await waitFor(() => alive.pings() >= pingsThen + 3, { what: 'three more heartbeat rounds' });
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    expect(wss.clients.size).toBe(1);
  });

  it('0 turns it off: no pings, nobody terminated', async () => {
    const { wss, url } = await serverWithHeartbeat(0);
    const silent = await client(url, false);
    // The clock: a server with a 100 ms heartbeat beside it; three of its rounds are three rounds
    // in which the switched-off one would have pinged (and then terminated its silent peer).
    const control = await serverWithHeartbeat(100);
    const ticking = await client(control.url, true);
    await waitFor(() => ticking.pings() >= 3, { what: "three rounds of the control server's heartbeat" });
    expect(silent.pings()).toBe(0);
    expect(silent.ws.readyState).toBe(WebSocket.OPEN);
    expect(wss.clients.size).toBe(1);
  });
});
