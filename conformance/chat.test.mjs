// Peer conformance: the official phoenix.js client (the version pinned in
// package.json) against the ridechat reference server.
//
// `cargo xtask test conformance` starts the server with --demo on a free
// loopback port and sets:
//   RIDECHAT_URL       the server's base URL, such as http://127.0.0.1:41234
//   RIDECHAT_TOKEN_R1  a token for rider r1 (ride 1 with driver d1)
//   RIDECHAT_TOKEN_R2  a token for rider r2 (ride 2 with driver d1)
//   RIDECHAT_TOKEN_D1  a token for driver d1
//
// Node 20 has no global WebSocket, so the `ws` package is passed to the
// Socket as its transport.

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Socket } from "phoenix";
import WebSocket from "ws";

const TIMEOUT_MS = 10_000;

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run this suite with \`cargo xtask test conformance\``);
  }
  return value;
}

const serverUrl = requireEnv("RIDECHAT_URL");
const socketUrl = `${serverUrl.replace(/^http/, "ws")}/socket`;
const tokens = {
  r1: requireEnv("RIDECHAT_TOKEN_R1"),
  r2: requireEnv("RIDECHAT_TOKEN_R2"),
  d1: requireEnv("RIDECHAT_TOKEN_D1"),
};

// Creates a socket that does not retry on its own, so a rejected connect
// shows as one error instead of a reconnect loop.
function newSocket(params) {
  return new Socket(socketUrl, {
    transport: WebSocket,
    params,
    reconnectAfterMs: () => 60_000,
    rejoinAfterMs: () => 60_000,
    timeout: TIMEOUT_MS,
  });
}

// Connects with `params` and resolves with the open socket, or rejects when
// the connection fails or closes first.
function connect(params) {
  const socket = newSocket(params);
  return new Promise((resolve, reject) => {
    socket.onOpen(() => resolve(socket));
    socket.onError((error) => {
      socket.disconnect();
      reject(new Error(`socket error: ${error?.message ?? error}`));
    });
    socket.connect();
  });
}

// Joins `topic` and resolves with `{channel, response}` on an ok reply;
// rejects with the error reply's response, or on timeout.
function join(socket, topic, params = {}) {
  const channel = socket.channel(topic, params);
  return new Promise((resolve, reject) => {
    channel
      .join()
      .receive("ok", (response) => resolve({ channel, response }))
      .receive("error", (response) => reject(Object.assign(new Error("join rejected"), { response })))
      .receive("timeout", () => reject(new Error(`join of ${topic} timed out`)));
  });
}

// Pushes `event` and resolves with `{status, response}` for ok and error replies.
function push(channel, event, payload) {
  return new Promise((resolve, reject) => {
    channel
      .push(event, payload)
      .receive("ok", (response) => resolve({ status: "ok", response }))
      .receive("error", (response) => resolve({ status: "error", response }))
      .receive("timeout", () => reject(new Error(`push of ${event} timed out`)));
  });
}

// Resolves with the payload of the first `event` on `channel` that `matches`.
function nextEvent(channel, event, matches) {
  return new Promise((resolve) => {
    const ref = channel.on(event, (payload) => {
      if (matches(payload)) {
        channel.off(event, ref);
        resolve(payload);
      }
    });
  });
}

// Leaves every channel of `socket`, then disconnects it. Leaving clears each
// channel's rejoin timer, which would otherwise keep Node running until it fires.
async function close(socket) {
  const leaves = socket.channels.map(
    (channel) =>
      new Promise((resolve) => {
        channel.leave().receive("ok", resolve).receive("error", resolve).receive("timeout", resolve);
      }),
  );
  await Promise.all(leaves);
  socket.disconnect();
}

function textMessage(body) {
  return { client_id: randomUUID(), kind: "text", body };
}

test("msg:new gets an ok reply and reaches the other member", { timeout: 20_000 }, async () => {
  const rider = await connect({ token: tokens.r1 });
  const driver = await connect({ token: tokens.d1 });
  try {
    const { channel: riderRoom, response: joined } = await join(rider, "ride:1", { last_seq: 0 });
    assert.ok(Array.isArray(joined.messages), "the join reply lists messages");
    assert.equal(joined.state, "active");
    const { channel: driverRoom } = await join(driver, "ride:1", { last_seq: 0 });

    const sent = textMessage("conformance: hello from phoenix.js");
    const broadcast = nextEvent(driverRoom, "msg:new", (p) => p.message?.client_id === sent.client_id);
    const reply = await push(riderRoom, "msg:new", sent);

    assert.equal(reply.status, "ok", JSON.stringify(reply.response));
    const stored = reply.response.message;
    assert.equal(stored.body, sent.body);
    assert.equal(stored.client_id, sent.client_id);
    assert.equal(stored.sender_id, "r1");
    assert.equal(stored.kind, "text");
    assert.ok(Number.isInteger(stored.seq), `seq ${stored.seq} is an integer`);
    assert.ok(stored.seq >= 1, `seq ${stored.seq} counts from 1`);

    const received = await broadcast;
    assert.equal(received.message.seq, stored.seq);
    assert.equal(received.message.body, sent.body);
  } finally {
    await close(rider);
    await close(driver);
  }
});

test("msg:new repeated with its client_id returns the first message", { timeout: 20_000 }, async () => {
  const rider = await connect({ token: tokens.r1 });
  try {
    const { channel } = await join(rider, "ride:1", { last_seq: 0 });
    const sent = textMessage("conformance: sent twice");

    const first = await push(channel, "msg:new", sent);
    const second = await push(channel, "msg:new", sent);

    assert.equal(first.status, "ok", JSON.stringify(first.response));
    assert.equal(second.status, "ok", JSON.stringify(second.response));
    assert.equal(second.response.message.seq, first.response.message.seq);
    assert.equal(second.response.message.id, first.response.message.id);
  } finally {
    await close(rider);
  }
});

test("join of another rider's ride is unauthorized", { timeout: 20_000 }, async () => {
  const otherRider = await connect({ token: tokens.r2 });
  try {
    await assert.rejects(join(otherRider, "ride:1", { last_seq: 0 }), (error) => {
      assert.equal(error.response?.reason, "unauthorized");
      return true;
    });
  } finally {
    await close(otherRider);
  }
});

test("an unknown event gets the invalid error reply", { timeout: 20_000 }, async () => {
  const rider = await connect({ token: tokens.r1 });
  try {
    const { channel } = await join(rider, "ride:1", { last_seq: 0 });
    const reply = await push(channel, "msg:unknown", {});
    assert.equal(reply.status, "error");
    assert.equal(reply.response.reason, "invalid");
  } finally {
    await close(rider);
  }
});

for (const [name, params] of [
  ["without a token", {}],
  ["with a bad token", { token: "not-a-valid-token" }],
]) {
  test(`connect ${name} is rejected and never joins`, { timeout: 20_000 }, async () => {
    let joined = false;
    let errored = false;
    const socket = newSocket(params);
    socket.onError(() => {
      errored = true;
    });
    // Waits for the close, which comes after the error: phoenix.js arms its
    // reconnect timer there, and `close` below clears it.
    const outcome = new Promise((resolve) => {
      socket.onClose(() => resolve("close"));
      socket.onOpen(() => resolve("open"));
    });
    socket.channel("ride:1", { last_seq: 0 }).join().receive("ok", () => {
      joined = true;
    });
    socket.connect();
    try {
      assert.equal(await outcome, "close", "the server accepted the connection");
      assert.equal(errored, true, "the socket reported no error");
      assert.equal(joined, false);
    } finally {
      await close(socket);
    }
  });
}
