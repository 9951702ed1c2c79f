/** A repository as the REST routes name it: `{owner}/{repo}`. */
export interface RepoRef {
  owner: string;
  repo: string;
}

export function repoKey(repo: RepoRef): string {
  return `${repo.owner}/${repo.repo}`.toLowerCase();
}
