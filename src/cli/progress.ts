import type { Progress } from "../engine/run-eval.js";
import { formatDuration } from "../numbers.js";

export interface ProgressReporter {
  update(p: Progress): void;
  done(p: Progress): void;
}

/**
 * A bar with samples done, rate and ETA on a TTY; plain lines at most every few seconds in CI,
 * where carriage returns would turn a log into noise.
 */
export function createProgressReporter(
  stream: NodeJS.WriteStream,
  label: string,
  options: { isTTY?: boolean; now?: () => number } = {},
): ProgressReporter {
  const isTTY = options.isTTY ?? Boolean(stream.isTTY);
  const now = options.now ?? (() => performance.now());
  const started = now();
  let lastDraw = 0;
  let lastPlainShare = -1;

  const line = (p: Progress): string => {
    const elapsed = (now() - started) / 1000;
    const rate = elapsed > 0 ? p.done / elapsed : 0;
    const left = p.total - p.done;
    // The first answers include connection set-up: a rate from them predicts nonsense.
    const settled = elapsed >= 1 || p.done >= p.total * 0.05;
    const eta =
      settled && rate > 0 && left > 0 ? ` eta ${formatDuration((left / rate) * 1000)}` : "";
    const extras = [
      p.cacheHits > 0 ? `${p.cacheHits} cached` : "",
      p.errors > 0 ? `${p.errors} errors` : "",
    ]
      .filter(Boolean)
      .join(", ");
    const speed = settled ? `, ${rate.toFixed(1)}/s` : "";
    return `${p.done}/${p.total} samples${speed}${eta}${extras ? ` (${extras})` : ""}`;
  };

  return {
    update(p) {
      const t = now();
      if (isTTY) {
        if (t - lastDraw < 80 && p.done < p.total) return;
        lastDraw = t;
        const width = 24;
        const filled = p.total > 0 ? Math.round((p.done / p.total) * width) : 0;
        const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
        stream.write(`\r\x1b[2K${label} ${bar} ${line(p)}`);
        return;
      }
      // Plain lines: one per 10 % or every 5 s, whichever comes first.
      const share = p.total > 0 ? Math.floor((p.done / p.total) * 10) : 0;
      if (share === lastPlainShare && t - lastDraw < 5000) return;
      lastPlainShare = share;
      lastDraw = t;
      stream.write(`${label}: ${line(p)}\n`);
    },
    done(p) {
      if (isTTY) stream.write(`\r\x1b[2K`);
      stream.write(`${label}: ${line(p)} in ${formatDuration(now() - started)}\n`);
    },
  };
}
