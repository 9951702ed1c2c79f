import { Worker } from "node:worker_threads";
import { PromptgateError } from "../errors.js";

/**
 * Golden-set regexes are written by whoever opens the pull request, and V8's engine backtracks:
 * `([\w\s]*)*$` on a long output runs for hours in the thread that also drives the run. There is
 * no linear-time engine among the dependencies, so a pattern that could be slow runs in a worker
 * thread with a time limit; a worker that overruns is terminated and replaced, and the sample is
 * an error ("regex timed out"), never a hang.
 *
 * Posting to a worker costs a round trip per match, so the common case stays in this thread: a
 * pattern with at most one unbounded quantifier, no quantified group and no backreference, on an
 * output short enough that even its quadratic worst case is a few milliseconds.
 */
export const REGEX_TIME_LIMIT_MS = 2000;

/** Longest output matched in this thread; `x*y` on it costs at most ~n²/2 = 8M steps. */
const FAST_PATH_MAX_CHARS = 4096;

export interface RegexMatch {
  index: number;
  text: string;
}

/** The sample could not be graded in time: an error for the sample, not a fail (or a pass). */
export class RegexTimeoutError extends PromptgateError {
  constructor(source: string, limitMs: number) {
    super("E_LIMIT", `regex timed out after ${limitMs} ms: /${clip(source)}/`, {
      hint: "the pattern backtracks without bound on this output (a quantifier inside a quantified group, e.g. `(a*)*`); rewrite it without nested quantifiers",
    });
    this.name = "RegexTimeoutError";
  }
}

/** The first match of `re` in `text`, or null; rejects with RegexTimeoutError past the limit. */
export function matchRegex(
  re: RegExp,
  text: string,
  limitMs = REGEX_TIME_LIMIT_MS,
): RegexMatch | null | Promise<RegexMatch | null> {
  if (text.length <= FAST_PATH_MAX_CHARS && isCheapPattern(re.source)) {
    // A fresh lastIndex: a `g` or `y` flag must not make one sample's match depend on the last.
    re.lastIndex = 0;
    const m = re.exec(text);
    return m ? { index: m.index, text: m[0] } : null;
  }
  return sharedRunner().match(re.source, re.flags, text, limitMs);
}

/**
 * A cheap, conservative static check: true only for patterns whose backtracking is at most
 * quadratic in the input. Anything it does not understand is treated as expensive (the worker
 * gives the right answer too, only a little later).
 */
export function isCheapPattern(source: string): boolean {
  let unbounded = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === "\\") {
      // \1…\9 and \k<name>: backreferences make matching NP-hard in general.
      if (/[1-9k]/.test(source[i + 1] ?? "")) return false;
      i++;
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
      continue;
    }
    if (ch === "[") {
      inClass = true;
      continue;
    }
    // A quantified group: `(ab)+` is fine, but telling it from `(a|ab)+` or `(a*)*` is not cheap.
    if (ch === ")" && /^[*+?{]/.test(source.slice(i + 1, i + 2))) return false;
    const unboundedHere =
      ch === "*" || ch === "+" || (ch === "{" && /^\{\d+,\}/.test(source.slice(i, i + 24)));
    if (unboundedHere && ++unbounded > 1) return false;
  }
  return true;
}

function clip(source: string): string {
  return source.length > 60 ? `${source.slice(0, 60)}…` : source;
}

/*
 * One worker, one job at a time: the time limit then measures this job's matching, not the queue
 * behind a slow one. The worker is unref'd, so an idle one never keeps the process alive; a job
 * in flight does, through its timer.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
parentPort.on("message", ({ source, flags, text }) => {
  let result;
  try {
    const re = new RegExp(source, flags);
    const m = re.exec(text);
    result = { ok: true, match: m ? { index: m.index, text: m[0] } : null };
  } catch (e) {
    result = { ok: false, message: String(e && e.message || e) };
  }
  parentPort.postMessage(result);
});
`;

interface Job {
  source: string;
  flags: string;
  text: string;
  limitMs: number;
  resolve: (m: RegexMatch | null) => void;
  reject: (e: Error) => void;
}

interface RegexRunner {
  match(source: string, flags: string, text: string, limitMs: number): Promise<RegexMatch | null>;
  close(): Promise<void>;
}

let shared: RegexRunner | undefined;

function sharedRunner(): RegexRunner {
  shared ??= createRegexRunner();
  return shared;
}

export function createRegexRunner(): RegexRunner {
  const queue: Job[] = [];
  let worker: Worker | undefined;
  let busy = false;

  const spawn = (): Worker => {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    return w;
  };

  const next = () => {
    if (busy) return;
    const job = queue.shift();
    if (!job) return;
    busy = true;
    worker ??= spawn();
    const w = worker;
    const done = () => {
      clearTimeout(timer);
      w.off("message", onMessage);
      w.off("error", onError);
      busy = false;
      next();
    };
    const onMessage = (r: { ok: boolean; match?: RegexMatch | null; message?: string }) => {
      done();
      if (r.ok) job.resolve(r.match ?? null);
      else job.reject(new Error(r.message ?? "regex failed"));
    };
    const onError = (e: Error) => {
      worker = undefined;
      done();
      job.reject(e);
    };
    // The only way to stop a running RegExp is to stop its thread.
    const timer = setTimeout(() => {
      worker = undefined;
      void w.terminate();
      done();
      job.reject(new RegexTimeoutError(job.source, job.limitMs));
    }, job.limitMs);
    w.on("message", onMessage);
    w.on("error", onError);
    w.postMessage({ source: job.source, flags: job.flags, text: job.text });
  };

  return {
    match(source, flags, text, limitMs) {
      return new Promise((resolve, reject) => {
        queue.push({ source, flags, text, limitMs, resolve, reject });
        next();
      });
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}
