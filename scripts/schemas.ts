/**
 * `npm run docs:schemas`: writes the OpenAPI document and the events' JSON Schemas to docs/, generated from the
 * schemas the service parses with (src/schemas/) and the route table (src/definitions/functions.ts). `--check` writes
 * nothing and fails when a committed file is not what generation gives.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { generatedDocuments, ROOT } from "../src/schemas/documents.ts";

const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
const stale: string[] = [];
for (const [file, content] of await generatedDocuments()) {
  const target = path.join(ROOT, file);
  const committed = await readFile(target, "utf8").catch(() => undefined);
  if (committed === content) continue;
  if (values.check) {
    stale.push(file);
    continue;
  }
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
  console.log(`wrote ${file}`);
}
if (stale.length > 0) {
  console.error(`not what the schemas generate (run npm run docs:schemas): ${stale.join(", ")}`);
  process.exit(1);
}
