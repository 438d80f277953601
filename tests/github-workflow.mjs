// github-workflow.mjs FILE... - parses each GitHub Actions workflow with
// GitHub's own parser (@actions/workflow-parser), then converts it to the
// model the service runs (job graph, `needs`, expressions), and prints
// every error as `FILE: message`.  Exits 1 when any file has one, 2 when
// the parser is not installed.
import fs from "fs";
import { register } from "module";
import path from "path";
import { pathToFileURL } from "url";

// The parser imports its schema (JSON) as bundlers allow, without the
// import attribute node asks for: a loader hook adds it.
const hook = `export async function load(url, context, next) {
  if (url.endsWith(".json")) context = { ...context, importAttributes: { type: "json" } };
  return next(url, context);
}`;
register("data:text/javascript," + encodeURIComponent(hook));

const modules = process.env.NODE_PATH || path.join(process.cwd(), "build/npm/node_modules");
let parser;
try {
  parser = await import(pathToFileURL(path.join(modules, "@actions/workflow-parser/dist/index.js")));
} catch (err) {
  console.error(`cannot load @actions/workflow-parser: ${err.message}`);
  process.exit(2);
}
const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = parser;

let failed = 0;
for (const file of process.argv.slice(2)) {
  const content = fs.readFileSync(file, "utf8");
  const result = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  let errors = result.context.errors.getErrors();
  if (errors.length === 0 && result.value) {
    const model = await convertWorkflowTemplate(result.context, result.value);
    errors = model.errors || [];
    if (errors.length === 0 && (!model.jobs || model.jobs.length === 0)) errors = [{ message: "no jobs" }];
  } else if (!result.value) {
    errors = errors.length ? errors : [{ message: "nothing parsed" }];
  }
  for (const e of errors) console.log(`${file}: ${e.message || e.Message || JSON.stringify(e)}`);
  if (errors.length) failed = 1;
}
process.exit(failed);
