// The phoenix.js side of the recovery benchmark (`cargo xtask bench`).
//
// Joins every topic of RIDECHAT_TOPICS (comma-separated) on one socket with
// the official client's default reconnect and rejoin timings, and prints one
// JSON line per event on stdout:
//   {"event":"joined","topic":"ride:1","at_ms":...}  each ok join reply, rejoins included
//   {"event":"ready"}                                  once every topic joined the first time
//   {"event":"error","message":"..."}                  a socket error or a refused join
// The benchmark reads these lines; `at_ms` is Date.now(), the wall clock the
// browser tab shares.
//
// phoenix and ws come from conformance/, whose package-lock.json pins them
// (`cargo xtask setup` installs them), so this folder needs no install.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(fileURLToPath(new URL("../conformance/package.json", import.meta.url)));
const { Socket } = require("phoenix");
const WebSocket = require("ws");

const LIFETIME_MS = 300_000;

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run this script through \`cargo xtask bench\``);
  }
  return value;
}

const socketUrl = `${requireEnv("RIDECHAT_URL").replace(/^http/, "ws")}/socket`;
const token = requireEnv("RIDECHAT_TOKEN");
const topics = requireEnv("RIDECHAT_TOPICS").split(",").filter(Boolean);

function print(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

// Only the transport and the token differ from phoenix.js's defaults.
const socket = new Socket(socketUrl, { transport: WebSocket, params: { token } });
socket.onError((error) => print({ event: "error", message: String(error?.message ?? error) }));
socket.connect();

const joinedOnce = new Set();
for (const topic of topics) {
  const channel = socket.channel(topic, { last_seq: 0 });
  // A join push keeps its hooks, so this runs again on every rejoin.
  channel
    .join()
    .receive("ok", () => {
      print({ event: "joined", topic, at_ms: Date.now() });
      joinedOnce.add(topic);
      if (joinedOnce.size === topics.length && !joinedOnce.reported) {
        joinedOnce.reported = true;
        print({ event: "ready" });
      }
    })
    .receive("error", (response) => print({ event: "error", message: `join of ${topic}: ${JSON.stringify(response)}` }));
}

// The benchmark kills this process when it is done; this is a backstop.
setTimeout(() => process.exit(0), LIFETIME_MS).unref();
