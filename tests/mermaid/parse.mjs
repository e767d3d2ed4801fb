// Reads a Mermaid diagram on stdin and parses it with Mermaid's own parser
// (the one GitHub's renderer runs); exits 1 with the parser's message when
// the diagram is not valid. Mermaid expects a DOM: jsdom stands in.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

const text = readFileSync(0, 'utf8');
try {
  const result = await mermaid.parse(text);
  console.log(result.diagramType);
} catch (e) {
  console.error(`invalid Mermaid: ${e.message}`);
  process.exit(1);
}
