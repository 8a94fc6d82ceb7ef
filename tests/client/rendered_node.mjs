// Merge-and-render harness around the REAL Phoenix LiveView client (PROTOCOL.md §10).
//
// The pinned npm bundle node_modules/phoenix_live_view/priv/static/phoenix_live_view.esm.js
// defines `var Rendered = class {...}` but does not export it. This script copies the bundle,
// byte for byte, into a temporary directory, appends ONE line exporting that class, and
// imports the copy. Nothing of Phoenix is committed to this repository.
//
// Protocol: JSON lines on stdin/stdout.
//   request   {"id": n, "join": <rendered payload>, "diffs": [<diff>, ...]}
//   response  {"id": n, "html": [...], "streams": [...], "titles": [...], "events": [...],
//              "patches": [...], "skips": [...], "diagnostics"?: [...]}
//          or {"id": n, "error": "...", "step": k, "html": [...], "diagnostics": [...]}
//   one item per step: step 0 is the join, step i the i-th diff.
//   A diff may instead be a step of the client's own component bookkeeping (PROTOCOL.md §6.5),
//   which merges nothing and renders nothing (its "patches" item is null, its "html" the page):
//     {"__will_destroy__": [cid, ...]}  rendered.resetRender(cid) for each: what the client does
//                                       right after a patch removed those components, as it
//                                       sends cids_will_destroy (their next render is complete)
//     {"__prune__": [cid, ...]}         rendered.pruneCIDs(cids): the client's handling of the
//                                       cids_destroyed reply {"cids": [...]}
//
// What one step does is the client's own sequence (View.applyDiff / onJoin / update /
// renderContainer in assets/js/phoenix_live_view/view.ts, 1.2.12):
//   Rendered.extract(raw)                        -> {diff, title, reply, events}
//   join:   rendered = new Rendered(viewId, diff, bufferClass); rendered.toString(null)
//   update: rendered.mergeDiff(diff); then, if the diff is component-only,
//           componentToString(cid), one patch each, for the changed cids the DOM shows that
//           are not inside another one the DOM shows (DOM.findExistingParentCIDs, read here
//           from the tree as it was before the merge: see pageComponents); else if the diff
//           is not empty, rendered.toString(rendered.componentCIDs(diff)).
//           (view.ts computes componentCIDs AFTER mergeDiff; mergeDiff puts "c" back.)
// `toString` returns {buffer, streams}: buffer is what morphdom gets (with `data-phx-skip`
// placeholders for unchanged roots, unless the buffer class says otherwise), streams a Set of
// stream operations. The third constructor argument returns the buffer class; LiveSocket
// passes its own (attachDebugBuffer), we pass CheckingBuffer (below).
//
// The comparable HTML of a step ("html") is a FRESH Rendered built from a deep copy of the
// merged tree, taken after the merge and BEFORE the client's own toString (which, for
// streams, consumes the rows: it resets the comprehension to {kc: 0}). The copy is pruned
// of the client's private `magicId`/`newRender` marks (otherwise a fresh render would still
// emit skip placeholders) and the client-only `data-phx-id="..."` and `data-phx-skip`
// attributes are stripped from its HTML. For a stream, "html" therefore holds the rows sent
// in this step only (what the client hands to morphdom), not the DOM's accumulated children;
// "streams" holds the operations the real toString reported.
// "patches" is the buffer of the client's own toString (null when it did not render), written
// by CheckingBuffer: every root in full, data-phx-id kept; "skips" lists, per step, the
// problems CheckingBuffer found with the client's skip placeholders; "diagnostics" the
// messages of the client's logError.

import { copyFileSync, mkdtempSync, appendFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createInterface } from "node:readline";

const here = dirname(fileURLToPath(import.meta.url));
const root = process.env.PYVIEW_ROOT || resolve(here, "..", "..");
const bundle = join(root, "node_modules", "phoenix_live_view", "priv", "static", "phoenix_live_view.esm.js");

const dir = mkdtempSync(join(tmpdir(), "pyview-rendered-"));
const copy = join(dir, "phoenix_live_view.esm.mjs");
copyFileSync(bundle, copy);
appendFileSync(copy, "\nexport { Rendered as __PyviewRendered };\n");

// deepClone (used by moves) reads window.structuredClone; the bundle touches no DOM at load.
// The client's logError (e.g. before "Cannot continue render due to missing component")
// dispatches a diagnostic CustomEvent on window: give the global object an event target,
// and collect those diagnostics for the response.
globalThis.window = globalThis;
const events = new EventTarget();
globalThis.addEventListener = events.addEventListener.bind(events);
globalThis.removeEventListener = events.removeEventListener.bind(events);
globalThis.dispatchEvent = events.dispatchEvent.bind(events);
let diagnostics = [];
globalThis.addEventListener("phx:live-view:diagnostic", (e) => diagnostics.push(e.detail && e.detail.message));
console.error = () => {}; // logError also prints; the diagnostic carries the message
const mod = await import(pathToFileURL(copy).href);
const Rendered = mod.__PyviewRendered;
const RenderingBuffer = mod.RenderingBuffer; // exported by the bundle itself
rmSync(dir, { recursive: true, force: true });
if (typeof Rendered !== "function" || typeof Rendered.extract !== "function") {
  throw new Error("the bundle's Rendered class was not found");
}

const VIEW_ID = "phx-VIEWID";
const ATTR_RE = / data-phx-id="[^"]*"| data-phx-skip(?=[\s>\/])/g;

function prune(node) {
  if (Array.isArray(node)) {
    node.forEach(prune);
  } else if (node !== null && typeof node === "object") {
    delete node.magicId;
    delete node.newRender;
    for (const key in node) prune(node[key]);
  }
}

function comparableHtml(rendered) {
  const copy = structuredClone(rendered.get());
  prune(copy);
  const fresh = new Rendered(VIEW_ID, copy);
  return fresh.toString(null).buffer.replace(ATTR_RE, "");
}

// The DOM side of the "r": 1 skip optimisation, checked without a DOM. For a root the client
// considers unchanged it emits `<tag data-phx-id="ID" data-phx-skip></tag>` and the DOM keeps
// the element it has under that id. This buffer (installed as the client's buffer class, the
// hook LiveSocket.attachDebugBuffer uses) remembers what every root rendered, by data-phx-id,
// and reports a skip whose root would now render something else (the DOM would keep stale
// content), a skip of an id the DOM never had, and one id on two roots in one render. It
// writes every root in full, so its output ("patches") is the whole page with data-phx-ids.
//
// Live components: the DOM content of a component's element is what the component's own
// patches put there (a component-only diff patches it alone, leaving the roots around it as
// they are), so what a root is remembered to hold leaves out the components inside it (a
// marker stands in for each; their own roots are remembered under their own ids). Instead, a
// skip placeholder is reported when a component inside it was rendered with new content: the
// placeholder drops that content, and the DOM keeps the component as it was. The client renders
// each component into a buffer of its own (recursiveCIDToString) and writes the result into the
// parent's buffer: `componentOutput` hands the finished component to that write.
let rootRecords = new Map();
let renderIds = new Set();
let skipProblems = [];
let componentOutput = null; // {cid, html, changed}: the component a CheckingBuffer just finished

class CheckingBuffer extends RenderingBuffer {
  constructor(preMerge, cid) {
    super(preMerge, cid);
    this.cid = cid;
    this.shadow = new RenderingBuffer(); // the same output, each nested component a marker
    this.frames = [[]]; // per open root (and the whole buffer): components in it rendered anew
  }

  write(str) {
    super.write(str);
    if (componentOutput !== null && componentOutput.html === str) {
      this.shadow.write(`<!--component ${componentOutput.cid}-->`);
      this.frames[this.frames.length - 1].push(...componentOutput.changed);
    } else {
      this.shadow.write(str);
    }
    componentOutput = null;
  }

  beginRoot() {
    super.beginRoot();
    this.shadow.beginRoot();
    this.frames.push([]);
  }

  endRoot(attrs, clearInnerHTML) {
    const id = attrs["data-phx-id"];
    const changed = this.frames.pop();
    if (id !== undefined) {
      const content = this.shadow.html.replace(ATTR_RE, "");
      if (renderIds.has(id)) skipProblems.push(`two roots carry data-phx-id ${id} in one render`);
      renderIds.add(id);
      const before = rootRecords.get(id);
      if (clearInnerHTML) {
        if (before === undefined) {
          skipProblems.push(`skip placeholder for data-phx-id ${id}, which the DOM never had`);
        } else if (before !== content) {
          skipProblems.push(
            `skip placeholder for data-phx-id ${id}: the DOM keeps ${JSON.stringify(before)} ` +
              `but the tree now renders ${JSON.stringify(content)}`,
          );
        }
        if (changed.length > 0) {
          skipProblems.push(
            `skip placeholder for data-phx-id ${id} drops the new content of component(s) ` +
              `${changed.join(", ")} rendered inside it: the DOM keeps them as they were`,
          );
          changed.length = 0;
        }
      } else {
        const cid = attrs["data-phx-component"];
        if (cid !== undefined && before !== content) changed.push(cid);
        rootRecords.set(id, content);
      }
    }
    this.frames[this.frames.length - 1].push(...changed);
    const full = { ...attrs };
    delete full["data-phx-skip"];
    this.shadow.endRoot(full, false);
    super.endRoot(full, false);
  }

  toString() {
    const html = super.toString();
    if (this.cid !== null && this.cid !== undefined) {
      componentOutput = { cid: this.cid, html, changed: this.frames[0] };
    }
    return html;
  }
}

// The components the DOM shows, from the client's tree (before a merge): cid -> the cids of the
// components inside it. Stands in for the DOM queries of DOM.findExistingParentCIDs.
function pageComponents(tree) {
  const components = tree.c || {};
  const found = new Map();
  const walk = (node, outer) => {
    if (typeof node === "number") {
      if (!found.has(node)) found.set(node, new Set());
      outer.forEach((cid) => found.get(cid).add(node));
      if (components[node] && !outer.includes(node)) walk(components[node], [...outer, node]);
    } else if (node !== null && typeof node === "object") {
      if (node.k) {
        for (let i = 0; i < (node.k.kc || 0); i++) walk(node.k[i], outer);
      } else {
        for (const key in node) if (/^[0-9]+$/.test(key)) walk(node[key], outer);
      }
    }
  };
  walk(tree, []);
  return found;
}

// DOM.findExistingParentCIDs: the changed cids shown on the page, less those inside another
// shown component's element (they are patched with it).
function existingParentCIDs(onPage, cids) {
  const parents = new Set();
  const children = new Set();
  for (const cid of cids) {
    if (onPage.has(cid)) {
      parents.add(cid);
      onPage.get(cid).forEach((child) => children.add(child));
    }
  }
  children.forEach((child) => parents.delete(child));
  return parents;
}

// A component bookkeeping step (see the protocol above), not a diff: an object whose only keys
// are "__will_destroy__" and/or "__prune__", each an array of cids.
function isBookkeeping(raw) {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return false;
  const keys = Object.keys(raw);
  return keys.length > 0 && keys.every((k) => (k === "__will_destroy__" || k === "__prune__") && Array.isArray(raw[k]));
}

function runRequest(req) {
  rootRecords = new Map();
  diagnostics = [];
  const out = { id: req.id, html: [], streams: [], titles: [], events: [], patches: [], skips: [] };
  let step = 0;
  try {
    let rendered = null;
    const raws = [req.join, ...(req.diffs || [])];
    for (step = 0; step < raws.length; step++) {
      renderIds = new Set();
      skipProblems = [];
      componentOutput = null;
      if (step > 0 && isBookkeeping(raws[step])) {
        const { __will_destroy__: willDestroy, __prune__: prune } = raws[step];
        if (willDestroy) willDestroy.forEach((cid) => rendered.resetRender(cid));
        if (prune) rendered.pruneCIDs(prune);
        out.html.push(comparableHtml(rendered));
        out.patches.push(null);
        out.skips.push(skipProblems);
        out.streams.push([]);
        out.titles.push(null);
        out.events.push([]);
        continue;
      }
      const { diff, title, events } = Rendered.extract(raws[step]);
      let result = null;
      if (step === 0) {
        rendered = new Rendered(VIEW_ID, diff, () => CheckingBuffer);
        out.html.push(comparableHtml(rendered));
        result = rendered.toString(null);
      } else {
        const onPage = rendered.isComponentOnlyDiff(diff) ? pageComponents(rendered.get()) : null;
        rendered.mergeDiff(diff);
        out.html.push(comparableHtml(rendered));
        if (rendered.isComponentOnlyDiff(diff)) {
          const streams = new Set();
          let buffer = "";
          for (const cid of existingParentCIDs(onPage, rendered.componentCIDs(diff))) {
            renderIds = new Set(); // each component patch is a render of its own
            const r = rendered.componentToString(cid);
            componentOutput = null;
            buffer += r.buffer;
            r.streams.forEach((s) => streams.add(s));
          }
          result = { buffer, streams };
        } else if (Object.keys(diff).length > 0) {
          result = rendered.toString(rendered.componentCIDs(diff));
        }
      }
      out.patches.push(result ? result.buffer : null);
      out.skips.push(skipProblems);
      out.streams.push(result ? Array.from(result.streams) : []);
      out.titles.push(typeof title === "string" ? title : null);
      out.events.push(events);
    }
    if (diagnostics.length) out.diagnostics = diagnostics;
    return out;
  } catch (e) {
    return {
      id: req.id,
      error: String(e && e.stack ? e.stack.split("\n").slice(0, 3).join(" | ") : e),
      step,
      html: out.html.slice(0, step),
      diagnostics,
    };
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: null, error: "bad request: " + e }) + "\n");
    continue;
  }
  let res;
  try {
    res = JSON.stringify(runRequest(req));
  } catch (e) {
    res = JSON.stringify({ id: req.id, error: "cannot encode response: " + e });
  }
  process.stdout.write(res + "\n");
}
