// An incoming `traceparent` is a claim by the caller: from the internet it would let anyone
// pick our trace ids (and force sampling). It is honoured only from TRUST_PROXY addresses, the
// same rule as X-Forwarded-For; any other caller starts a new trace. The request gate
// (request-gate.ts) screens each request before any context is extracted from it: it marks the
// headers of an untrusted peer, and the propagator then ignores them.
import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';

/** proxy-addr's (Fastify's trustProxy) names for address ranges. */
const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** The TRUST_PROXY list (addresses, CIDRs, proxy-addr's names) as a membership test. */
export function trustedAddresses(trustProxy: string | undefined): (address: string | undefined) => boolean {
  const list = new BlockList();
  let any = false;
  const entries = (trustProxy ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .flatMap((entry) => NAMED_RANGES[entry] ?? [entry]);
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    if (family === 0) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
    any = true;
  }
  return (address) => {
    if (!any || !address) return false;
    // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/** Wraps the real propagator: extraction from headers marked untrusted returns the context unchanged. */
export class TrustedPropagation {
  private readonly untrusted = new WeakSet<object>();
  private readonly trusted: (address: string | undefined) => boolean;

  constructor(trustProxy: string | undefined) {
    this.trusted = trustedAddresses(trustProxy);
  }

  /** Call once per incoming request, before the context is extracted. */
  screen(request: IncomingMessage): void {
    if (!this.trusted(request.socket.remoteAddress)) this.untrusted.add(request.headers);
  }

  propagator(inner: TextMapPropagator): TextMapPropagator {
    const untrusted = this.untrusted;
    return {
      inject: (context: Context, carrier: unknown, setter: TextMapSetter) => inner.inject(context, carrier, setter),
      extract: (context: Context, carrier: unknown, getter: TextMapGetter) =>
        typeof carrier === 'object' && carrier !== null && untrusted.has(carrier)
          ? context
          : inner.extract(context, carrier, getter),
      fields: () => inner.fields(),
    };
  }
}
