import { isDeepStrictEqual } from "node:util";
import { diffArrays, diffChars } from "diff";
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  type Node,
  type Pair,
  parseDocument,
  type ToStringOptions,
  type YAMLMap,
} from "yaml";
import { PromptgateError } from "../errors.js";
import { type Environments, environmentsSchema, type Pin } from "../formats/environments.js";
import { parseYaml, stripBom } from "../formats/located-yaml.js";
import { samePin } from "./pins.js";

/**
 * Writes a plan's `next` into the text of `environments.yaml` so that its diff shows only the lines
 * that changed. The edit itself goes through the `yaml` Document API (setIn/deleteIn); since
 * re-stringifying a document also normalizes untouched lines (comment alignment, flow padding),
 * the new text is the original with only the lines the edit changed replaced, and a changed line
 * keeps its own spacing where its non-blank text allows.
 */
export function applyPlanToYaml(
  text: string,
  plan: { next: Environments },
  file = "environments.yaml",
): string {
  const crlf = /\r\n/.test(text);
  const bom = text.charCodeAt(0) === 0xfeff;
  const source = stripBom(text).replace(/\r\n/g, "\n");
  const current = parseYaml(source, file, environmentsSchema).value;

  const before = parseDocument(source);
  const after = before.clone();
  const style = detectStyle(source);
  editDocument(after, current, plan.next, style.flowPins);

  const opts: ToStringOptions = {
    indent: style.indent,
    lineWidth: 0,
    flowCollectionPadding: style.flowPadding,
  };
  const rendered = after.toString(opts);
  const expected = after.toJS();
  const spliced = spliceLines(source, before.toString(opts), rendered);
  let out = spliced !== undefined && sameContent(spliced, expected) ? spliced : rendered;
  if (!sameContent(out, expected)) {
    throw new PromptgateError("E_YAML", `could not write the new pins into ${file}`, {
      location: { file },
      hint: "the file uses YAML features the bot cannot edit (anchors, tags); edit it by hand",
    });
  }
  if (crlf) out = out.replace(/\n/g, "\r\n");
  return bom ? `\ufeff${out}` : out;
}

function sameContent(text: string, expected: unknown): boolean {
  const doc = parseDocument(text);
  return doc.errors.length === 0 && isDeepStrictEqual(doc.toJS(), expected);
}

interface Style {
  indent: number;
  flowPadding: boolean;
  /** Whether new pins are written `{ version: v5, model: … }` (the file's habit, default yes). */
  flowPins: boolean;
}

function detectStyle(source: string): Style {
  let indent = 0;
  for (const line of source.split("\n")) {
    const m = /^( +)[^\s#]/.exec(line);
    if (m && (indent === 0 || m[1]!.length < indent)) indent = m[1]!.length;
  }
  const padded = (source.match(/\{ \S/g) ?? []).length;
  const tight = (source.match(/\{[^\s}]/g) ?? []).length;
  const blockPin = /^\s+version:\s/m.test(source);
  const flowPin = /\{\s*version:/.test(source);
  return {
    indent: indent > 0 && indent <= 8 ? indent : 2,
    flowPadding: padded >= tight,
    flowPins: flowPin || !blockPin,
  };
}

// ---------------------------------------------------------------------------------------------
// The semantic edit: only what differs between the current file and `next` is touched.

function editDocument(doc: Document, cur: Environments, next: Environments, flowPins: boolean) {
  const pinNode = (pin: Pin) => doc.createNode(plainPin(pin), { flow: flowPins });
  for (const env of Object.keys(cur.environments)) {
    if (!next.environments[env]) doc.deleteIn(["environments", env]);
  }
  for (const [env, want] of Object.entries(next.environments)) {
    const have = cur.environments[env];
    const base = ["environments", env];
    if (!have) {
      doc.setIn(base, doc.createNode(plainEnvironment(want)));
      continue;
    }
    if ((have.traffic ?? null) !== (want.traffic ?? null)) {
      if (want.traffic === undefined) doc.deleteIn([...base, "traffic"]);
      else setFirst(doc, base, "traffic", want.traffic);
    }
    for (const prompt of Object.keys(have.prompts)) {
      if (!want.prompts[prompt]) doc.deleteIn([...base, "prompts", prompt]);
    }
    for (const [prompt, pin] of Object.entries(want.prompts)) {
      const old = have.prompts[prompt];
      const path = [...base, "prompts", prompt];
      if (samePin(old, pin)) continue;
      if (!old || !isMap(doc.getIn(path, true))) {
        doc.setIn(path, pinNode(pin));
        continue;
      }
      if (old.version !== pin.version) doc.setIn([...path, "version"], pin.version);
      if ((old.model ?? "") !== (pin.model ?? "")) {
        if (pin.model === undefined) doc.deleteIn([...path, "model"]);
        else doc.setIn([...path, "model"], pin.model);
      }
    }
  }

  const envNames = new Set([...Object.keys(cur.freezes), ...Object.keys(next.freezes)]);
  for (const env of envNames) {
    const want = next.freezes[env];
    const have = cur.freezes[env];
    if (isDeepStrictEqual(want, have)) continue;
    if (want) setFreeze(doc, env, want);
    else deleteFreeze(doc, env);
  }
}

function plainPin(pin: Pin): Record<string, unknown> {
  const plain: Record<string, unknown> =
    pin.model !== undefined ? { version: pin.version, model: pin.model } : { version: pin.version };
  // A new pin brings its fallbacks; an edited one keeps the environment's own (only version and
  // model are rewritten above), since where an outage goes is the environment's operations choice.
  if (pin.fallback) plain.fallback = pin.fallback.map((f) => ({ ...f }));
  return plain;
}

function plainEnvironment(env: Environments["environments"][string]): Record<string, unknown> {
  return {
    ...(env.traffic !== undefined ? { traffic: env.traffic } : {}),
    prompts: Object.fromEntries(Object.entries(env.prompts).map(([p, pin]) => [p, plainPin(pin)])),
  };
}

/** Sets `key` in the map at `path`, adding it as the first key when new (`traffic` before `prompts`). */
function setFirst(doc: Document, path: string[], key: string, value: unknown) {
  const map = doc.getIn(path, true);
  if (isMap(map) && !map.has(key)) {
    map.items.unshift(doc.createPair(key, value) as Pair<unknown, unknown>);
  } else {
    doc.setIn([...path, key], value);
  }
}

function topPair(doc: Document, key: string): Pair<Node, unknown> | undefined {
  if (!isMap(doc.contents)) return undefined;
  return (doc.contents as YAMLMap<Node, unknown>).items.find(
    (p): p is Pair<Node, unknown> => isPair(p) && isScalar(p.key) && p.key.value === key,
  );
}

/**
 * `freezes: {}  # comment` becomes a block map when it gains an entry (one line per freeze), with
 * the comment kept on the key line, and goes back to `{}` when the last freeze is lifted.
 */
function setFreeze(doc: Document, env: string, freeze: Environments["freezes"][string]) {
  const node = doc.getIn(["freezes"], true);
  if (isMap(node) && node.flow && node.items.length === 0) {
    node.flow = false;
    const pair = topPair(doc, "freezes");
    if (pair && isScalar(pair.key) && node.comment) {
      pair.key.comment = node.comment;
      node.comment = undefined;
    }
  }
  doc.setIn(
    ["freezes", env],
    doc.createNode({ by: freeze.by, reason: freeze.reason, since: freeze.since }, { flow: true }),
  );
}

function deleteFreeze(doc: Document, env: string) {
  doc.deleteIn(["freezes", env]);
  const node = doc.getIn(["freezes"], true);
  if (isMap(node) && !node.flow && node.items.length === 0) {
    node.flow = true;
    // A comment after `freezes:` is the key's when we wrote it, the map's `commentBefore` when parsed.
    const pair = topPair(doc, "freezes");
    if (pair && isScalar(pair.key) && pair.key.comment) {
      node.comment = pair.key.comment;
      pair.key.comment = undefined;
    } else if (node.commentBefore && !node.commentBefore.includes("\n")) {
      node.comment = node.commentBefore;
      node.commentBefore = undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Splicing: map the original lines onto a rendering of the unedited document, then replay the
// rendering's diff against the edited document on the original lines.

interface Slot {
  /** Original lines standing for this rendered line (several when a block was joined). */
  lines: string[];
  /** Exactly one original line for one rendered line, so it can be edited in place. */
  single: boolean;
  /** Rendered lines that stand for one block of original lines share a group. */
  group: number;
}

const squash = (s: string) => s.replace(/\s+/g, "");

/** undefined when the alignment is too irregular to splice safely; the caller re-renders then. */
export function spliceLines(original: string, before: string, after: string): string | undefined {
  const o = original.split("\n");
  const a = before.split("\n");
  const b = after.split("\n");
  const aligned = alignLines(o, a);
  if (!aligned) return undefined;
  const { slots, leading } = aligned;
  const groupSize = new Map<number, number>();
  for (const s of slots) groupSize.set(s.group, (groupSize.get(s.group) ?? 0) + 1);

  const out: string[] = [...leading];
  let ai = 0;
  const parts = diffArrays(a, b);
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]!;
    if (part.added) {
      out.push(...part.value);
      continue;
    }
    if (!part.removed) {
      for (let n = 0; n < part.value.length; n++) out.push(...slots[ai++]!.lines);
      continue;
    }
    const removed = part.value.length;
    const nextPart = parts[k + 1];
    const added = nextPart?.added ? nextPart.value : [];
    if (nextPart?.added) k++;
    const old = slots.slice(ai, ai + removed);
    // A block of original lines may go only as a whole.
    const inRun = new Map<number, number>();
    for (const s of old) inRun.set(s.group, (inRun.get(s.group) ?? 0) + 1);
    for (const [group, n] of inRun) if (groupSize.get(group) !== n) return undefined;
    if (added.length === removed && old.every((s) => s.single)) {
      added.forEach((line, n) => {
        out.push(transplant(old[n]!.lines[0]!, a[ai + n]!, line));
      });
    } else {
      out.push(...added);
    }
    ai += removed;
  }
  return out.join("\n");
}

/** Pairs original and rendered lines that differ at most in whitespace; the rest by blocks. */
function alignLines(o: string[], a: string[]): { slots: Slot[]; leading: string[] } | undefined {
  const slots: Slot[] = [];
  const leading: string[] = [];
  let oi = 0;
  let group = 0;
  const parts = diffArrays(o.map(squash), a.map(squash));
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]!;
    if (!part.added && !part.removed) {
      for (let n = 0; n < part.value.length; n++) {
        slots.push({ lines: [o[oi++]!], single: true, group: group++ });
      }
      continue;
    }
    const removedCount = part.removed ? part.value.length : 0;
    const nextPart = part.removed ? parts[k + 1] : undefined;
    const addedCount = part.added ? part.value.length : nextPart?.added ? nextPart.value.length : 0;
    if (nextPart?.added) k++;
    const removed = o.slice(oi, oi + removedCount);
    oi += removedCount;
    if (addedCount === removedCount) {
      for (const line of removed) slots.push({ lines: [line], single: true, group: group++ });
    } else if (addedCount === 0) {
      // Original lines the rendering dropped ride along with the line before them.
      const last = slots[slots.length - 1];
      if (last) {
        last.lines.push(...removed);
        last.single = false;
      } else leading.push(...removed);
    } else {
      const g = group++;
      slots.push({ lines: removed, single: false, group: g });
      for (let n = 1; n < addedCount; n++) slots.push({ lines: [], single: false, group: g });
    }
  }
  return oi === o.length && slots.length === a.length ? { slots, leading } : undefined;
}

/**
 * Applies the change from `rendered` to `edited` onto `original`, which renders as `rendered`
 * up to whitespace: `{version: v4}   # why` stays tight and aligned when v4 becomes v5.
 */
function transplant(original: string, rendered: string, edited: string): string {
  if (original === rendered) return edited;
  if (squash(original) !== squash(rendered)) return edited;
  // pos[i]: where rendered[i] sits in original (whitespace maps to the next original character).
  const pos: number[] = [];
  let j = 0;
  for (let i = 0; i < rendered.length; i++) {
    const ch = rendered[i]!;
    if (/\s/.test(ch)) {
      pos.push(j);
      if (j < original.length && /\s/.test(original[j]!)) j++;
      continue;
    }
    while (j < original.length && /\s/.test(original[j]!)) j++;
    pos.push(j);
    j++;
  }
  pos.push(original.length);
  let out = "";
  let i = 0;
  for (const part of diffChars(rendered, edited)) {
    if (part.added) {
      out += part.value;
    } else if (part.removed) {
      i += part.value.length;
    } else {
      out += original.slice(pos[i]!, pos[i + part.value.length]!);
      i += part.value.length;
    }
  }
  return squash(out) === squash(edited) ? out : edited;
}
