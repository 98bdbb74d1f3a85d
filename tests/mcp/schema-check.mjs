// Checks tool answers against the tools' own schemas with ajv's JSON Schema
// 2020-12 validator (strict: the schemas are checked against the 2020-12
// meta-schema and for unknown keywords first). Prints one "ok - ..." or
// "not ok - ..." line per check and "# done" at the end.
//   node schema-check.mjs TOOLS.json RESULTS.jsonl
// TOOLS.json: a tools/list answer ({"result":{"tools":[...]}}) or GET
// /mcp/tools' ({"tools":[...]}). RESULTS.jsonl: one {"tool","value"} a
// line, "tool" any of a tool's names (name, title, mcpName), "value" the
// structuredContent (or /mcp/invoke's result) of a successful call; with
// "invalid": true the value is one the schema must refuse (a check that
// the check can fail).
import Ajv2020 from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';

const [toolsFile, resultsFile] = process.argv.slice(2);
const listing = JSON.parse(readFileSync(toolsFile, 'utf8'));
const tools = listing.result?.tools ?? listing.tools ?? [];
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });

function say(cond, desc, detail) {
  console.log(cond ? `ok - ${desc}` : `not ok - ${desc}${detail ? `: ${detail}` : ''}`);
}

const validators = new Map();
for (const t of tools) {
  for (const which of ['inputSchema', 'outputSchema']) {
    const schema = t[which];
    let v;
    try {
      v = ajv.compile(schema);
    } catch (e) {
      say(false, `${t.name}: ${which} is a valid JSON Schema 2020-12`, e.message);
      continue;
    }
    say(schema?.$schema === 'https://json-schema.org/draft/2020-12/schema',
      `${t.name}: ${which} is a valid JSON Schema 2020-12 and says so`, schema?.$schema);
    if (which === 'outputSchema') {
      for (const n of [t.name, t.title, t.mcpName]) if (n) validators.set(n, v);
    }
  }
}

const lines = readFileSync(resultsFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
for (const line of lines) {
  const { tool, value, invalid } = JSON.parse(line);
  const v = validators.get(tool);
  if (!v) {
    say(false, `${tool}: has an outputSchema to check its answer against`);
    continue;
  }
  const valid = v(value);
  const why = v.errors ? ajv.errorsText(v.errors) : '';
  if (invalid) say(!valid, `${tool}: an answer off its outputSchema is refused`, JSON.stringify(value).slice(0, 200));
  else say(valid, `${tool}: its answer matches its outputSchema`, `${why} in ${JSON.stringify(value).slice(0, 300)}`);
}
console.log('# done');
