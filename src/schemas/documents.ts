/**
 * The generated documents as files: `docs/openapi.json` and `docs/events/<detail-type>.schema.json`, each formatted as
 * prettier formats the repository, so the committed copies are exactly what generation gives (a test checks it).
 */
import path from "node:path";
import * as prettier from "prettier";
import { currentOpenApiDocument, eventSchemas, ROOT } from "./openapi.ts";

export { ROOT };

/** Every generated file, by its path from the repository's root, with its content. */
export async function generatedDocuments(): Promise<Map<string, string>> {
  const format = async (file: string, value: unknown) =>
    prettier.format(JSON.stringify(value), {
      ...(await prettier.resolveConfig(path.join(ROOT, file))),
      filepath: file,
    });
  const files = new Map<string, string>();
  files.set("docs/openapi.json", await format("docs/openapi.json", currentOpenApiDocument()));
  for (const [detailType, schema] of Object.entries(eventSchemas())) {
    const file = `docs/events/${detailType}.schema.json`;
    files.set(file, await format(file, schema));
  }
  return files;
}
