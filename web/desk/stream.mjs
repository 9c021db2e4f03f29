/* global WebSocket, location, setTimeout, clearTimeout */
// The desk's live connection (/api/desk/stream): reconnects with backoff, and on every (re)connect
// watches the open conversations again from the last sequence number seen, so nothing is missed.

/** `<conversationId>|0000012` -> 12; NaN for an id without a sequence number. */
export function seqOf(activityId) {
  const id = String(activityId ?? '');
  const at = id.lastIndexOf('|');
  if (at < 0) return NaN;
  const tail = id.slice(at + 1);
  return /^\d+$/.test(tail) ? Number(tail) : NaN;
}

export function streamUrl(path) {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

const MIN_DELAY = 1000;
const MAX_DELAY = 30_000;

export class DeskStream {
  /**
   * `handlers`: `{ message(data), open(reconnected), down() }`. `lastSeq(conversationId)` answers the
   * watermark to resume a watched conversation from.
   */
  constructor(path, handlers, lastSeq) {
    this.path = path;
    this.handlers = handlers;
    this.lastSeq = lastSeq;
    this.watched = new Set();
    this.socket = null;
    this.stopped = false;
    this.delay = MIN_DELAY;
    this.timer = null;
    this.opened = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onerror = null;
      socket.onmessage = null;
      try {
        socket.close();
      } catch {
        // Already closed.
      }
    }
  }

  connect() {
    if (this.stopped) return;
    let socket;
    try {
      socket = new WebSocket(streamUrl(this.path));
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.delay = MIN_DELAY;
      const reconnected = this.opened;
      this.opened = true;
      for (const conversationId of this.watched) this.sendWatch(conversationId);
      this.handlers.open?.(reconnected);
    };
    socket.onmessage = (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (data && typeof data === 'object') this.handlers.message?.(data);
    };
    socket.onerror = () => {
      // A close event follows; reconnecting happens there.
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.handlers.down?.();
      this.retry();
    };
  }

  retry() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    // Jitter spreads the reconnects of many desks after a server restart.
    const delay = this.delay * (0.75 + Math.random() * 0.5);
    this.delay = Math.min(this.delay * 2, MAX_DELAY);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  send(data) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(data));
    return true;
  }

  sendWatch(conversationId) {
    const after = this.lastSeq(conversationId);
    this.send({ type: 'watch', conversationId, after: Number.isFinite(after) ? after : 0 });
  }

  watch(conversationId) {
    if (!conversationId) return;
    this.watched.add(conversationId);
    this.sendWatch(conversationId);
  }

  unwatch(conversationId) {
    if (!this.watched.delete(conversationId)) return;
    this.send({ type: 'unwatch', conversationId });
  }
}
