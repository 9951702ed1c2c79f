import type { CommentStore, StoredComment } from "../../../action/github.js";

/** The pull request's conversation, in memory: what CommentStore's Octokit version does on GitHub. */
export function memoryComments(): CommentStore & { bodies: string[] } {
  const stored: (StoredComment & { body: string })[] = [];
  const bodies: string[] = [];
  const url = (id: number) => `https://github.test/pull/1#issuecomment-${id}`;
  return {
    bodies,
    async find(marker) {
      return stored.find((c) => c.body.startsWith(marker));
    },
    async create(body) {
      const c = { id: stored.length + 1, body, url: url(stored.length + 1) };
      stored.push(c);
      bodies.push(body);
      return c;
    },
    async update(id, body) {
      const c = stored.find((x) => x.id === id);
      if (!c) throw new Error(`no comment ${id}`);
      c.body = body;
      bodies.push(body);
      return c;
    },
  };
}
