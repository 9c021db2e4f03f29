import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';

// nock 15 brings @mswjs/interceptors 0.44, which calls Promise.withResolvers (Node 22+) for every
// intercepted request; the gateway runs on Node 20. (nock 14 runs on Node 20 but its interceptors do not
// match these requests the same way.) Drop this once the project is on Node 22.
if (!('withResolvers' in Promise)) {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (value: T) => void;
      let reject!: (reason: unknown) => void;
      const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
      return { promise, resolve, reject };
    },
  });
}

export default nock;

/**
 * For a test file that fakes third parties with nock: no real network beyond this machine (the gateway
 * under test listens on 127.0.0.1), and interceptors cleared after each test.
 */
export function onlyLocalNetwork(): void {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect((host) => host.startsWith('127.0.0.1') || host.startsWith('localhost'));
  });
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());
}
