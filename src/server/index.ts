/**
 * The OpenAI-compatible HTTP server (Node only: it imports `node:http`), behind its own entry
 * `intern-s1-ts/server` so that the browser entry stays free of Node built-ins.
 *
 * @module
 */
export { ChatEngine, type ChatEngineOptions, type EngineEvent, type EngineResult } from './engine.js';
export { type ChatRequest, HttpError, parseChatRequest, type ToolSpec } from './protocol.js';
export { type ChatServerHandle, type ChatServerOptions, startChatServer } from './server.js';
