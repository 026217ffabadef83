// Runs inside a network namespace that startInNetworkNamespace made (only loopback): brings loopback up, relays
// the host's 127.0.0.1 ports the program needs to reach (through unix sockets, which cross network namespaces),
// serves the ports the host may reach on unix sockets, then runs the program and exits with it.
//   node netns-relay.ts <spec json> <program> [args...]
import { execFileSync, spawn } from 'node:child_process';
import { createConnection, createServer, type ListenOptions, type Server, type Socket } from 'node:net';
import type { RelaySpec } from './netns.ts';

const [specJson, program, ...args] = process.argv.slice(2);
const spec = JSON.parse(specJson) as RelaySpec;

const pipe = (a: Socket, b: Socket) => {
  a.pipe(b).on('error', () => a.destroy());
  b.pipe(a).on('error', () => b.destroy());
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
};
const listen = (server: Server, where: ListenOptions) =>
  new Promise<void>((resolve, reject) => server.once('error', reject).listen(where, () => resolve()));

// a new network namespace has loopback down
execFileSync(spec.ip, ['link', 'set', 'lo', 'up']);
for (const { port, socket } of spec.reach)
  await listen(
    createServer((inner) => pipe(inner, createConnection(socket))),
    { port, host: '127.0.0.1' },
  );
for (const { port, socket } of spec.expose)
  await listen(
    createServer((outer) => pipe(outer, createConnection(port, '127.0.0.1'))),
    { path: socket },
  );

const child = spawn(program, args, { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
child.on('error', (error) => {
  console.error(`${program} could not start in the network namespace: ${error.message}`);
  process.exit(127);
});
