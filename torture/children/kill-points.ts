/** Points inside a file-adapter write where a torture child can SIGKILL itself (fault-points.ts). */
export const KILL_POINTS = ['append-torn', 'temp-torn', 'before-rename', 'after-rename', 'after-truncate'] as const;
export type KillPoint = (typeof KILL_POINTS)[number];
