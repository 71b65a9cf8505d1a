// The one error type for git operations, classified from git's own words so the
// GitRepository's status says what a user can act on.
export const GitFailure = {
  /** wrong key, password or token */
  AuthenticationFailed: 'AuthenticationFailed',
  /** the server's SSH host key is not the one in known_hosts */
  HostKeyMismatch: 'HostKeyMismatch',
  /** DNS, connection refused, timeout */
  Unreachable: 'Unreachable',
  /** the remote has no such branch, tag or ref */
  RefNotFound: 'RefNotFound',
  Other: 'Other',
} as const;
export type GitFailure = (typeof GitFailure)[keyof typeof GitFailure];

export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(message: string, readonly failure: GitFailure) {
    super(message);
  }

  /** an unreachable remote may answer later; a wrong key or a missing ref will not */
  get retryable(): boolean {
    return this.failure === GitFailure.Unreachable;
  }
}

const patterns: [RegExp, GitFailure, string][] = [
  [/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No (?:ED25519|RSA|ECDSA)? ?host key is known/i, GitFailure.HostKeyMismatch, 'ssh host key does not match known_hosts'],
  [/Permission denied \(publickey|Authentication failed|could not read Username|HTTP Basic: Access denied|returned error: 40[13]|Invalid username or password|terminal prompts disabled/i, GitFailure.AuthenticationFailed, 'authentication failed'],
  [/Could not resolve host|Connection refused|Connection timed out|Operation timed out|No route to host|Network is unreachable|unable to access|Could not read from remote repository|timed out|The operation was aborted/i, GitFailure.Unreachable, 'remote unreachable'],
  [/couldn't find remote ref|not our ref|Remote branch .* not found|no such remote ref|did not match any/i, GitFailure.RefNotFound, 'ref not found'],
];

/** A GitError whose message names the cause first and keeps git's last words for detail. */
export function classifyGitError(error: unknown, url: string): GitError {
  if (error instanceof GitError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const detail = lastLines(text);
  for (const [pattern, failure, summary] of patterns) {
    if (pattern.test(text)) return new GitError(`${summary} for ${url}: ${detail}`, failure);
  }
  return new GitError(`git operation on ${url} failed: ${detail}`, GitFailure.Other);
}

function lastLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-3)
    .join('; ');
}
