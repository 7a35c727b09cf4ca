/**
 * `intern-s1-ts/reference` in Node: the reference entry plus the Node host, so that
 * `InternS1Tokenizer.fromDir(dir)` reads folders by path. package.json maps the `node` condition
 * of `./reference` here; browsers get `reference/index.ts`, which reaches no Node built-in.
 *
 * @packageDocumentation
 */
import '../src/platform/node-files.js';

export * from './index.js';
